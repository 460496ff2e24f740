// Issue 13's Debian package through the real tools: `runm package` builds it with dpkg-deb, and
// dpkg installs it into a throwaway Debian root (the debootstrapped image rootfs, with Debian's
// containerd config and the host's containerd binary in it, as a machine with containerd has):
// its files land, its postinst (chrooted by dpkg) creates the VMM user and registers the runtime
// in containerd's config; a purge leaves the root as it was but for that system user.
import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { sha256 } from "../build/hash.ts";
import type { GuestManifest } from "../guest-manifest.ts";
import { debianRootfs } from "../image/build.ts";
import { dirs } from "../paths.ts";
import { BLOCK_BEGIN } from "./containerd-config-edit.ts";
import { installedRecordFor, readInstallRecord } from "./layout.ts";
import { buildPackage, PACKAGE_DEPENDS } from "./package.ts";

setDefaultTimeout(600_000);

const tmp = mkdtempSync(join(tmpdir(), "runm-package-"));
const root = join(tmp, "root");
afterAll(() => {
  // Never remove a tree that still has /proc mounted in it.
  if (!readFileSync("/proc/mounts", "utf8").includes(` ${join(root, "proc")} `))
    rmSync(tmp, { recursive: true, force: true });
});

const DEBIAN_CONTAINERD_CONFIG = `version = 2

[plugins]
  [plugins."io.containerd.grpc.v1.cri"]
    [plugins."io.containerd.grpc.v1.cri".cni]
      bin_dir = "/usr/lib/cni"
`;

const sh = (argv: string[]) => {
  const r = Bun.spawnSync(argv, { stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode, out: r.stdout.toString(), err: r.stderr.toString() };
};

/** Files and dirs under the root's /etc, /usr/bin and /usr/lib, each file with its sha256. */
function tree(): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = statSync(p, { throwIfNoEntry: false });
      if (!st) continue; // a dangling symlink
      if (st.isDirectory()) {
        out[`${relative(root, p)}/`] = "dir";
        walk(p);
      } else out[relative(root, p)] = st.size > 1 << 20 ? `size ${st.size}` : sha256(readFileSync(p));
    }
  };
  for (const d of ["etc", "usr/bin", "usr/lib"]) walk(join(root, d));
  return out;
}

test("runm package: a .deb whose postinst registers the runtime, installed and purged in a throwaway root", async () => {
  const deb = await buildPackage({ cacheDir: dirs().cache, outDir: tmp, version: "0.1.0" });
  expect(deb).toEndWith("/runm_0.1.0_amd64.deb");
  const info = sh(["dpkg-deb", "-f", deb, "Package", "Architecture", "Depends"]);
  expect(info.out).toBe(`Package: runm\nArchitecture: amd64\nDepends: ${PACKAGE_DEPENDS.join(", ")}\n`);
  const listed = sh(["dpkg-deb", "-c", deb]).out;
  for (const f of [
    "./usr/bin/runm",
    "./usr/bin/containerd-shim-runm-v2",
    "./usr/lib/runm/guest/x86_64/manifest.json",
    "./usr/lib/runm/guest/x86_64/mbin.squashfs",
    "./etc/runm/runm.toml",
  ])
    expect(listed).toContain(f);
  expect(sh(["dpkg-deb", "--ctrl-tarfile", deb]).code).toBe(0);

  mkdirSync(root);
  writeFileSync(join(tmp, "rootfs.tar"), await debianRootfs());
  expect(sh(["tar", "-xf", join(tmp, "rootfs.tar"), "-C", root]).code).toBe(0);
  mkdirSync(join(root, "etc", "containerd"), { recursive: true });
  writeFileSync(join(root, "etc", "containerd", "config.toml"), DEBIAN_CONTAINERD_CONFIG);
  copyFileSync("/usr/bin/containerd", join(root, "usr", "bin", "containerd")); // the postinst asks its version
  const before = tree();

  // The compiled runm in the postinst needs /proc, as on any real machine.
  expect(sh(["mount", "-t", "proc", "proc", join(root, "proc")]).code).toBe(0);
  try {
    // Only the runtime's dependencies (QEMU, containerd's package) are absent from this root.
    const inst = sh(["dpkg", `--root=${root}`, "--force-depends", "-i", deb]);
    expect({ code: inst.code, err: inst.code ? inst.err : "" }).toEqual({ code: 0, err: "" });
    expect(inst.out).toContain("added runm's runtime between marker lines to /etc/containerd/config.toml");
    const config = readFileSync(join(root, "etc", "containerd", "config.toml"), "utf8");
    expect(config.startsWith(DEBIAN_CONTAINERD_CONFIG)).toBe(true);
    expect(config).toContain(BLOCK_BEGIN);
    expect(readFileSync(join(root, "etc", "passwd"), "utf8")).toMatch(/^runm-vmm:x:\d+:\d+:/m);
    // The installed shim finds its record, and the record the system paths.
    const record = installedRecordFor(join(root, "usr", "bin", "containerd-shim-runm-v2"));
    expect(record).toBe(join(root, "usr", "bin", "..", "lib", "runm", "install.json"));
    expect(readInstallRecord(record as string).options.stateDir).toBe("/run/runm");
    // The shipped image is whole: every part's bytes match the manifest's hash.
    const m = JSON.parse(
      readFileSync(join(root, "usr", "lib", "runm", "guest", "x86_64", "manifest.json"), "utf8"),
    ) as GuestManifest;
    for (const part of [m.kernel, m.initramfs, m.squashfs]) {
      expect(part.path).toStartWith("/usr/lib/runm/guest/x86_64/");
      expect(sha256(readFileSync(join(root, part.path)))).toBe(part.sha256);
    }

    const purge = sh(["dpkg", `--root=${root}`, "--purge", "runm"]);
    expect({ code: purge.code, err: purge.code ? purge.err : "" }).toEqual({ code: 0, err: "" });
  } finally {
    sh(["umount", join(root, "proc")]);
  }
  const after = tree();
  // Debian keeps a package's system user after a purge: the only difference.
  const accounts = [
    "etc/passwd",
    "etc/group",
    "etc/shadow",
    "etc/gshadow",
    "etc/passwd-",
    "etc/group-",
    "etc/shadow-",
    "etc/gshadow-",
  ];
  const strip = (t: Record<string, string>) =>
    Object.fromEntries(Object.entries(t).filter(([k]) => !accounts.includes(k)));
  expect(strip(after)).toEqual(strip(before));
  expect(existsSync(join(root, "usr", "lib", "runm"))).toBe(false);
});
