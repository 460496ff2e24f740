// `runm doctor`'s look at an installed runtime (runm install): every file install wrote still has
// the bytes it wrote (runm.toml excepted: it is the operator's to edit), the guest image matches
// its manifest's hashes, containerd's config still registers the runtime, the VMM user exists,
// and the installed shim is this runm's when this runm has built one.
import { existsSync, readFileSync } from "node:fs";
import { sha256 } from "../build/hash.ts";
import { loadConfig } from "../config.ts";
import { DEFAULT_VMM_USER } from "../constants.ts";
import { builtShimBinary } from "../containerd/shim-binary.ts";
import type { GuestManifest } from "../guest-manifest.ts";
import { lookupUser } from "../vm/qemu/vmm-user.ts";
import { BLOCK_BEGIN } from "./containerd-config-edit.ts";
import { installPaths, installRecordPath, readInstallRecord } from "./layout.ts";

export interface InstallCheck {
  status: "ok" | "missing" | "unusable";
  detail: string;
  fix?: string;
}

export function checkInstall(prefix: string): InstallCheck {
  const recordPath = installRecordPath(prefix);
  if (!existsSync(recordPath))
    return { status: "missing", detail: `not installed under ${prefix}`, fix: "runm install" };
  const rec = readInstallRecord(recordPath);
  const p = installPaths(rec.options);
  const reinstall = { fix: `runm install --prefix ${prefix}` };
  for (const f of rec.files) {
    if (f.path === p.runtimeConfig) continue;
    if (!existsSync(f.path)) return { status: "unusable", detail: `${f.path} is gone`, ...reinstall };
    if (sha256(readFileSync(f.path)) !== f.sha256)
      return { status: "unusable", detail: `${f.path} changed since install`, ...reinstall };
  }
  const manifestFile = rec.files.find((f) => f.path.endsWith("/manifest.json"))?.path;
  if (!manifestFile)
    return { status: "unusable", detail: "the install record names no guest image", ...reinstall };
  const manifest = JSON.parse(readFileSync(manifestFile, "utf8")) as GuestManifest;
  for (const part of ["kernel", "initramfs", "squashfs"] as const)
    if (sha256(readFileSync(manifest[part].path)) !== manifest[part].sha256)
      return {
        status: "unusable",
        detail: `the guest ${part} does not match its manifest's hash`,
        ...reinstall,
      };
  const cfg = rec.containerdConfig;
  const text = existsSync(cfg.path) ? readFileSync(cfg.path, "utf8") : "";
  if (!(cfg.edit === "block" ? text.includes(BLOCK_BEGIN) : text.includes(p.dropIn)))
    return { status: "unusable", detail: `${cfg.path} no longer registers runm's runtime`, ...reinstall };
  const vmm = loadConfig(p.runtimeConfig).vm?.user ?? DEFAULT_VMM_USER;
  if (!lookupUser(vmm))
    return {
      status: "unusable",
      detail: `the VMM user ${vmm} does not exist`,
      fix: `useradd --system --user-group --no-create-home --shell /usr/sbin/nologin ${vmm}`,
    };
  const shim = rec.files.find((f) => f.path === p.shim);
  const built = builtShimBinary();
  if (shim && built && !built.stale && sha256(readFileSync(built.path)) !== shim.sha256)
    return {
      status: "unusable",
      detail: "the installed shim is not this runm's (older or newer sources)",
      ...reinstall,
    };
  return { status: "ok", detail: `${prefix}: shim, guest image (hashes verified), ${cfg.path}` };
}
