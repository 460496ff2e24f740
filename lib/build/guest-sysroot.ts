// A foreign guest arch's userland, for a guest whose arch is not the host's (arm64 on x86_64):
// there are no host binaries to copy, so the mbin programs (runc, crun, tini), busybox-static and
// every library they load come from Debian's packages for that arch, fetched from the host's own
// mirror and suite with their dependency closure and unpacked into one dir of runm's cache
// (lib/debian-packages.ts). Fetched once per package set; `rm -r` the dir to fetch newer ones.
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { GuestArch } from "../constants.ts";
import { DEBS_LIST, unpackDebianPackages } from "../debian-packages.ts";
import { defaultDebianOptions } from "../image/debian-rootfs.ts";
import { withLock } from "../lock.ts";
import { lockFile } from "./cache.ts";
import { keyOf } from "./hash.ts";
import { readMbinRecipe } from "./mbin-recipe.ts";
import { resolveIn } from "./shared-libs.ts";

export const DEBIAN_ARCH: Record<GuestArch, string> = { x86_64: "amd64", arm64: "arm64" };
/** Debian's multiarch tuple: the lib/<tuple> dir glibc's loader searches. */
export const MULTIARCH: Record<GuestArch, string> = {
  x86_64: "x86_64-linux-gnu",
  arm64: "aarch64-linux-gnu",
};
/** The package of the guest's default busybox (lib/build/busybox.ts). */
export const BUSYBOX_PACKAGE = "busybox-static";

/** Every package the guest takes from Debian: the mbin recipe's and busybox-static. */
export function sysrootPackages(recipe = readMbinRecipe()): string[] {
  const named = recipe.entries.flatMap((e) => (e.package ? [e.package] : []));
  return [...new Set([...named, BUSYBOX_PACKAGE])].sort();
}

/** The unpacked packages (usr/bin/runc, lib/<tuple>/libc.so.6, ...) for `arch`; fetched on first use. */
export async function guestSysroot(o: {
  arch: GuestArch;
  cacheDir: string;
  packages?: string[];
}): Promise<string> {
  const { suite } = defaultDebianOptions();
  const packages = o.packages ?? sysrootPackages();
  const key = keyOf({ kind: "sysroot", suite, arch: DEBIAN_ARCH[o.arch], packages });
  const root = join(o.cacheDir, "sysroot", `${o.arch}-${suite}-${key}`);
  const ready = (r: string) => existsSync(join(r, DEBS_LIST));
  if (ready(root)) return root;
  // One fetch at a time: a concurrent `runm build` would otherwise swap the dir under this one.
  return withLock(lockFile(o.cacheDir, "sysroot", o.arch, key), () =>
    unpackDebianPackages({ suite, packages, root, ready, arch: DEBIAN_ARCH[o.arch], dependencies: true }),
  );
}

/** A program in the sysroot the way PATH would find it, symlinks followed inside it, or null. */
export function sysrootProgram(sysroot: string, name: string): string | null {
  for (const dir of ["usr/sbin", "usr/bin", "sbin", "bin"]) {
    const p = resolveIn(sysroot, `${dir}/${name}`);
    if (p) return p;
  }
  return null;
}

/** Debian's busybox-static for another arch: bin/busybox of its sysroot (fetched if need be), or null. */
export async function sysrootBusybox(o: {
  arch: GuestArch;
  cacheDir: string;
  sysroot?: string;
}): Promise<string | null> {
  return sysrootProgram(o.sysroot ?? (await guestSysroot(o)), "busybox");
}
