// Host mount(2) calls through libc (no mount binary, no shell): the VM's hot-share roots
// (lib/vm/qemu/hot-shares.ts) and the guard that detaches whatever is still mounted under a
// directory before it is removed, so a recursive removal never reaches through a bind mount into
// a volume's files.
import { readFileSync, rmSync } from "node:fs";
import { check, cstr, libc } from "./libc.ts";

const MS_RDONLY = 0x1;
const MS_NOSUID = 0x2;
const MS_NODEV = 0x4;
const MS_REMOUNT = 0x20;
const MS_BIND = 0x1000;
const MS_REC = 0x4000;
const MS_SHARED = 1 << 20;
const MNT_DETACH = 2;

function mount(source: string | null, target: string, flags: number): void {
  check(
    `mount ${source ?? ""} on ${target}`,
    libc().mount(source === null ? null : cstr(source), cstr(target), null, flags, null),
  );
}

/**
 * Bind `source` on `target`: read-only ones also nosuid and nodev; a recursive one brings the
 * mounts under `source`.
 */
export function bindMount(
  source: string,
  target: string,
  o: { readOnly: boolean; recursive: boolean },
): void {
  mount(source, target, MS_BIND | (o.recursive ? MS_REC : 0));
  if (o.readOnly) mount(null, target, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV);
}

/** Give the mount at `target` shared propagation: mounts under it propagate to its peers and slaves. */
export function makeShared(target: string): void {
  mount(null, target, MS_SHARED);
}

/** Lazily unmount `target` with everything under it; false when nothing was mounted there. */
export function detachMount(target: string): boolean {
  return libc().umount2(cstr(target), MNT_DETACH) === 0;
}

/** Mount points at or under `dir` in this mount namespace, deepest first. */
export function mountPointsUnder(dir: string): string[] {
  // mountinfo field 5 is the mount point, with space, tab, newline and backslash octal-escaped.
  const unescapeOctal = (s: string) =>
    s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));
  return readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((line) => unescapeOctal(line.split(" ")[4] ?? ""))
    .filter((p) => p === dir || p.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

/** Detach everything mounted at or under `dir` (deepest first); what is left mounted, if any. */
export function detachMountsUnder(dir: string): string[] {
  for (const m of mountPointsUnder(dir)) detachMount(m);
  return mountPointsUnder(dir);
}

/**
 * rm -rf `dir`, but first detach whatever is mounted under it (a VM's hot-share roots): a
 * recursive removal must never reach through a bind mount into a volume's files. When something
 * stays mounted the tree is left in place and the mount points are returned.
 */
export function removeTree(dir: string): string[] {
  if (process.platform === "linux") {
    const left = detachMountsUnder(dir);
    if (left.length) return left;
  }
  rmSync(dir, { recursive: true, force: true });
  return [];
}
