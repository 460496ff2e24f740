// `runm package`: a Debian package of the installed runtime, for machines without the source
// tree. It holds the compiled runm CLI and shim in /usr/bin, the guest image in
// /usr/lib/runm/guest/<arch>/ and /etc/runm/runm.toml (a conffile); its postinst creates the VMM
// user and registers the runtime with containerd (`runm install --packaged`), its prerm undoes
// that registration on removal (`runm uninstall`). dpkg owns every shipped file.
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { dirname, join } from "node:path";
import { buildAll } from "../build/all.ts";
import { DEBIAN_ARCH } from "../build/guest-sysroot.ts";
import { DEFAULT_VMM_USER, hostGuestArch } from "../constants.ts";
import { buildCliBinary, buildShimBinary } from "../containerd/shim-binary.ts";
import { run } from "../exec.ts";
import { tempSibling } from "../fs-atomic.ts";
import { RUNTIME_CONFIG } from "./drop-in.ts";
import { guestImageFiles } from "./install.ts";
import { DEFAULT_INSTALL, installPaths } from "./layout.ts";

/** Where the package installs: /usr for the files dpkg owns, the rest as `runm install`. */
export const PACKAGE_LAYOUT = { ...DEFAULT_INSTALL, prefix: "/usr" };

/** What the runtime needs on the host at run time (the template warm-up runs the host's busybox). */
export const PACKAGE_DEPENDS = ["qemu-system-x86", "containerd", "busybox-static", "passwd"];

export function controlFile(version: string, arch: string, installedKiB: number): string {
  return `Package: runm
Version: ${version}
Architecture: ${arch}
Maintainer: runm developers <runm@localhost>
Depends: ${PACKAGE_DEPENDS.join(", ")}
Installed-Size: ${installedKiB}
Section: admin
Priority: optional
Description: per-container micro-VM runtime for containerd
 runm runs each Linux container in its own small VM: containerd's runtime
 io.containerd.runm.v2 (and the CRI handler "runm") boots a micro-VM per
 container whose agent runs the real runc. No kernel is shared between
 containers.
`;
}

const POSTINST = `#!/bin/sh
# runm: the VMM's unprivileged user, then containerd's registration (runm install --packaged).
set -e
if [ "$1" = configure ]; then
  id ${DEFAULT_VMM_USER} >/dev/null 2>&1 || useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin ${DEFAULT_VMM_USER}
  runm install --packaged --prefix ${PACKAGE_LAYOUT.prefix}
fi
`;

const PRERM = `#!/bin/sh
# runm: on removal, take the runtime out of containerd's config (an upgrade keeps it).
set -e
if [ "$1" = remove ] || [ "$1" = deconfigure ]; then
  runm uninstall --prefix ${PACKAGE_LAYOUT.prefix}
fi
`;

/** Builds runm_<version>_<arch>.deb into `outDir`; returns its path. */
export async function buildPackage(o: {
  cacheDir: string;
  outDir: string;
  version: string;
}): Promise<string> {
  const arch = hostGuestArch();
  const manifest = (await buildAll({ arch, cacheDir: o.cacheDir })).manifest;
  const [shim, cli] = [await buildShimBinary(o.cacheDir), await buildCliBinary(o.cacheDir)];
  const stage = await mkdtemp(join(o.cacheDir, "package-"));
  try {
    chmodSync(stage, 0o755); // the package's "./": dpkg would apply mkdtemp's 0700 to /
    const paths = installPaths(PACKAGE_LAYOUT);
    let bytes = 0;
    const put = (path: string, data: Uint8Array | string, mode: number) => {
      const at = join(stage, path);
      mkdirSync(dirname(at), { recursive: true, mode: 0o755 });
      writeFileSync(at, data);
      chmodSync(at, mode);
      bytes += typeof data === "string" ? data.length : data.byteLength;
    };
    put(paths.shim, readFileSync(shim), 0o755);
    put(join(PACKAGE_LAYOUT.prefix, "bin", "runm"), readFileSync(cli), 0o755);
    for (const f of guestImageFiles(manifest, paths.libDir)) put(f.path, f.data, 0o644);
    put(paths.runtimeConfig, RUNTIME_CONFIG, 0o644);
    const debArch = DEBIAN_ARCH[arch];
    put("DEBIAN/control", controlFile(o.version, debArch, Math.ceil(bytes / 1024)), 0o644);
    put("DEBIAN/conffiles", `${paths.runtimeConfig}\n`, 0o644);
    put("DEBIAN/postinst", POSTINST, 0o755);
    put("DEBIAN/prerm", PRERM, 0o755);
    mkdirSync(o.outDir, { recursive: true });
    const out = join(o.outDir, `runm_${o.version}_${debArch}.deb`);
    const tmp = tempSibling(out);
    await run("dpkg-deb", ["--root-owner-group", "-Zzstd", "--build", stage, tmp], {
      what: "building the Debian package",
      timeout: 600_000,
    });
    renameSync(tmp, out);
    return out;
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}
