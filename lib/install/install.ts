// `runm install` / `runm uninstall`: runm as a runtime of the host's own containerd. Install puts
// the compiled shim on containerd's PATH, the guest image in a system dir, a runtime config in
// /etc/runm and the runtime's registration in a drop-in that containerd's config imports; it
// records every file and dir it made, and uninstall removes exactly those. containerd's own
// config only ever gains (and loses) its import line, with a backup kept.
import { existsSync, mkdirSync, readFileSync, rmdirSync, rmSync } from "node:fs";
import { copyFile, rename } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { buildAll } from "../build/all.ts";
import { sha256 } from "../build/hash.ts";
import { hostGuestArch } from "../constants.ts";
import { containerdVersion } from "../containerd/daemon.ts";
import { buildShimBinary } from "../containerd/shim-binary.ts";
import { tempSibling, writeFileAtomic } from "../fs-atomic.ts";
import type { GuestManifest } from "../guest-manifest.ts";
import { addBlock, addImport, removeBlock, removeImport } from "./containerd-config-edit.ts";
import { RUNTIME_CONFIG, registrationFor } from "./drop-in.ts";
import {
  type InstallOptions,
  type InstallRecord,
  installPaths,
  installRecordPath,
  readInstallRecord,
} from "./layout.ts";

export interface InstallRun {
  /** containerd's binary, whose major version picks the drop-in's schema. */
  containerd: string;
  cacheDir: string;
  dryRun?: boolean;
  /**
   * The Debian package's postinst: the shim and image are already in place (dpkg owns them), so
   * only containerd's registration and the record are made.
   */
  packaged?: boolean;
  /** One line per action taken (or, dry, that would be). */
  say: (line: string) => void;
}

/** The suffix of the copy of containerd's config taken before the first edit. */
export const BACKUP_SUFFIX = ".runm-backup";

/** Creates `dir` and its missing parents, noting each one it made (deepest last). */
function mkdirNoting(dir: string, made: string[]): void {
  const missing: string[] = [];
  for (let d = dir; !existsSync(d); d = dirname(d)) missing.unshift(d);
  for (const d of missing) {
    mkdirSync(d, { mode: 0o755 });
    made.push(d);
  }
}

/**
 * The guest image as installed under `libDir`: the cache's layout (guest/<arch>/), so the
 * installed shim reads it as its cache dir, with a manifest naming the copies.
 */
export function guestImageFiles(
  manifest: GuestManifest,
  libDir: string,
): { path: string; data: Uint8Array | string }[] {
  const guestDir = join(libDir, "guest", manifest.arch);
  const installed: GuestManifest = { ...manifest };
  const out: { path: string; data: Uint8Array | string }[] = [];
  for (const part of ["kernel", "initramfs", "squashfs"] as const) {
    const path = join(guestDir, basename(manifest[part].path));
    out.push({ path, data: readFileSync(manifest[part].path) });
    installed[part] = { ...manifest[part], path };
  }
  out.push({ path: join(guestDir, "manifest.json"), data: `${JSON.stringify(installed, null, 2)}\n` });
  return out;
}

export async function install(o: InstallOptions, r: InstallRun): Promise<InstallRecord> {
  const p = installPaths(o);
  const previous = existsSync(p.record) ? readInstallRecord(p.record) : undefined;
  const { major, version } = await containerdVersion(r.containerd);
  const reg = registrationFor(version);
  if (r.dryRun) {
    r.say(`would build the guest image and the shim (runm build all; cached when unchanged)`);
    const dropIn = reg.edit === "import" ? [p.dropIn] : [];
    for (const f of [p.shim, join(p.libDir, "guest", hostGuestArch()), ...dropIn, p.runtimeConfig, p.record])
      r.say(`would write ${f}`);
    r.say(
      reg.edit === "import"
        ? `would add ${p.dropIn} to the imports of ${o.containerdConfig} (containerd ${version})`
        : `would add runm's runtime between marker lines to ${o.containerdConfig} (containerd ${version} replaces a plugin's table from imports)`,
    );
    return (
      previous ?? {
        version: 1,
        options: o,
        files: [],
        dirs: [],
        containerdConfig: { path: o.containerdConfig, created: false },
      }
    );
  }

  const dirs: string[] = [...(previous?.dirs ?? [])];
  const files = new Map((previous?.files ?? []).map((f) => [f.path, f.sha256]));
  const put = async (path: string, data: Uint8Array | string, mode: number) => {
    mkdirNoting(dirname(path), dirs);
    await writeFileAtomic(path, data, mode);
    files.set(path, sha256(data));
    r.say(`wrote ${path}`);
  };

  if (!r.packaged) {
    const manifest = (await buildAll({ arch: hostGuestArch(), cacheDir: r.cacheDir })).manifest;
    const shim = await buildShimBinary(r.cacheDir);
    await put(p.shim, readFileSync(shim), 0o755);
    for (const f of guestImageFiles(manifest, p.libDir)) await put(f.path, f.data, 0o644);
  }
  if (reg.edit === "import") await put(p.dropIn, reg.dropIn, 0o644);
  // The operator's runtime config is theirs once written: never overwritten.
  if (existsSync(p.runtimeConfig)) r.say(`kept ${p.runtimeConfig} (exists)`);
  else await put(p.runtimeConfig, RUNTIME_CONFIG, 0o644);

  const cfg = previous?.containerdConfig ?? {
    path: o.containerdConfig,
    created: !existsSync(o.containerdConfig),
  };
  if (cfg.created && !existsSync(o.containerdConfig)) {
    mkdirNoting(dirname(o.containerdConfig), dirs);
    await writeFileAtomic(o.containerdConfig, `version = ${major === 1 ? 2 : 3}\n`, 0o644);
  } else if (!cfg.created && !cfg.backup) {
    cfg.backup = `${o.containerdConfig}${BACKUP_SUFFIX}`;
    const tmp = tempSibling(cfg.backup);
    await copyFile(o.containerdConfig, tmp);
    await rename(tmp, cfg.backup);
    r.say(`backed up ${o.containerdConfig} to ${cfg.backup}`);
  }
  const before = readFileSync(o.containerdConfig, "utf8");
  const after =
    reg.edit === "import"
      ? addImport(before, p.dropIn, o.containerdConfig)
      : addBlock(before, reg.block, o.containerdConfig);
  if (after !== before) {
    await writeFileAtomic(o.containerdConfig, after);
    r.say(
      reg.edit === "import"
        ? `added ${p.dropIn} to the imports of ${o.containerdConfig}`
        : `added runm's runtime between marker lines to ${o.containerdConfig}`,
    );
  }
  cfg.edit = reg.edit;

  const record: InstallRecord = {
    version: 1,
    options: o,
    files: [...files].map(([path, sum]) => ({ path, sha256: sum })),
    dirs,
    containerdConfig: cfg,
  };
  mkdirNoting(dirname(p.record), dirs);
  await writeFileAtomic(p.record, `${JSON.stringify(record, null, 2)}\n`, 0o644);
  return record;
}

/** Removes what the install at `prefix` recorded; returns false when nothing is installed there. */
export async function uninstall(prefix: string, r: Pick<InstallRun, "say" | "dryRun">): Promise<boolean> {
  const recordPath = installRecordPath(prefix);
  if (!existsSync(recordPath)) return false;
  const rec = readInstallRecord(recordPath);
  const p = installPaths(rec.options);
  const verb = r.dryRun ? "would remove" : "removed";
  const cfg = rec.containerdConfig;
  if (existsSync(cfg.path)) {
    const text = readFileSync(cfg.path, "utf8");
    const without = cfg.edit === "block" ? removeBlock(text) : removeImport(text, p.dropIn, cfg.path);
    // A config install created holds nothing else once the import is gone: it goes too.
    if (cfg.created && /^version = \d\n$/.test(without)) {
      if (!r.dryRun) rmSync(cfg.path);
      r.say(`${verb} ${cfg.path}`);
    } else {
      if (!r.dryRun) await writeFileAtomic(cfg.path, without);
      r.say(`${verb} runm's runtime from ${cfg.path}`);
    }
  }
  if (cfg.backup && existsSync(cfg.backup)) {
    if (!r.dryRun) rmSync(cfg.backup);
    r.say(`${verb} ${cfg.backup}`);
  }
  for (const f of rec.files) {
    if (!existsSync(f.path)) continue;
    // An operator's edit of a file install wrote (runm.toml) is theirs: kept, and said.
    if (sha256(readFileSync(f.path)) !== f.sha256) {
      r.say(`kept ${f.path} (changed since install)`);
      continue;
    }
    if (!r.dryRun) rmSync(f.path);
    r.say(`${verb} ${f.path}`);
  }
  if (!r.dryRun) rmSync(recordPath);
  r.say(`${verb} ${recordPath}`);
  for (const d of [...rec.dirs].reverse()) {
    if (r.dryRun) continue;
    try {
      rmdirSync(d);
    } catch {
      r.say(`kept ${d} (not empty)`);
    }
  }
  return true;
}
