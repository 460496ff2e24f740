// runc defends against CVE-2019-5736 (a container overwriting the runc binary through
// /proc/PID/exe) by copying its 8.7 MB self into a sealed memfd at every `runc init` and
// re-executing the copy. In a VM cloned from a template each copy dirties fresh guest pages, which
// the clone's QEMU must then hold privately: measured, a clone's QEMU PSS 183-184 -> 177 MiB
// without it (three `vm run -- sleep` each). `runc create` got no faster (two A/B rounds of eight).
//
// runc skips the copy when /proc/self/exe already is a memfd with exactly its four seals
// (libcontainer/nsenter/cloned_binary.c, which names this use). So the agent makes the copy once,
// at boot and so before a template's snapshot (every clone shares its pages), and runs the
// runtime from it. The protection holds: the seals forbid every write, and the copy is reachable
// only through the agent's own fd table.
import { openSync, readFileSync, writeSync } from "node:fs";
import { check, closeFd, cstr, libc } from "../../lib/sys/libc.ts";

const MFD_CLOEXEC = 0x1;
const MFD_ALLOW_SEALING = 0x2;
const F_ADD_SEALS = 1033;
const F_GET_SEALS = 1034;
/** The seals runc looks for: no more seals, no shrinking, no growing, no writing. */
export const RUNTIME_SEALS = 0x1 | 0x2 | 0x4 | 0x8;

const copies = new Map<string, string>();

/**
 * A path that executes a sealed in-memory copy of the binary at `path`: /proc/AGENT/fd/N, the
 * agent's own fd (close-on-exec, so no child holds it). Made once per binary.
 */
export function sealedCopy(path: string): string {
  const known = copies.get(path);
  if (known) return known;
  const bytes = readFileSync(path);
  const c = libc();
  const fd = check(
    `memfd_create for ${path}`,
    c.memfd_create(cstr("runm-sealed"), MFD_CLOEXEC | MFD_ALLOW_SEALING),
  );
  try {
    for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off);
    check(`seal the copy of ${path}`, c.fcntl(fd, F_ADD_SEALS, RUNTIME_SEALS));
  } catch (e) {
    closeFd(fd);
    throw e;
  }
  // /proc/PID, not /proc/self: a child resolves the path as it execs, in its own fd table.
  const exe = `/proc/${process.pid}/fd/${fd}`;
  copies.set(path, exe);
  return exe;
}

/** The seals on the file at `path`, or -1 when it is not a memfd. */
export function sealsOf(path: string): number {
  const fd = openSync(path, "r");
  try {
    return libc().fcntl(fd, F_GET_SEALS, 0);
  } finally {
    closeFd(fd);
  }
}
