// Running a guest-arch binary on this host: directly for the host's arch, through Debian's
// qemu-user otherwise (busybox's `--list`, checks of a cross-built agent). qemu-user emulates one
// process, no VM, so a static binary runs as is and a dynamic one with `-L <sysroot>`.
import type { GuestArch } from "../constants.ts";
import { hostGuestArch } from "../constants.ts";
import { type RunOptions, type RunResult, run } from "../exec.ts";
import { requireTool } from "../tools.ts";

/** The qemu-user program for each arch (Debian's qemu-user package ships them all). */
export const QEMU_USER: Record<GuestArch, string> = { x86_64: "qemu-x86_64", arm64: "qemu-aarch64" };

/**
 * argv prefix that runs an `arch` binary here: [] for the host's arch, [qemu-<arch>] (with
 * `-L sysroot` for a dynamic binary's loader and libraries) for another.
 */
export function foreignExec(arch: GuestArch, o: { sysroot?: string; host?: GuestArch } = {}): string[] {
  if (arch === (o.host ?? hostGuestArch())) return [];
  const qemu = requireTool(QEMU_USER[arch], `to run ${arch} binaries on this host`);
  return o.sysroot ? [qemu, "-L", o.sysroot] : [qemu];
}

/** Run an `arch` binary to completion (lib/exec.ts), through qemu-user when it is not the host's. */
export function runForeign(
  arch: GuestArch,
  binary: string,
  args: string[],
  opts: RunOptions & { sysroot?: string } = {},
): Promise<RunResult> {
  const { sysroot, ...rest } = opts;
  const [qemu, ...qemuArgs] = foreignExec(arch, { sysroot });
  return qemu ? run(qemu, [...qemuArgs, binary, ...args], rest) : run(binary, args, rest);
}
