// One virtiofsd (QEMU 7.2's C daemon) per virtio-fs share. That daemon has no read-only option, so
// a read-only share is made honest on the host side: the daemon runs in its own mount namespace
// (unshare) where its source is a read-only bind mount; the host's mounts are untouched.
import { existsSync } from "node:fs";
import type { Subprocess } from "bun";
import { failedPrecondition } from "../../errors.ts";
import { requireTool } from "../../tools.ts";
import { guardedSpawn } from "../guarded-spawn.ts";
import type { VmShare } from "../vm-interface.ts";

export const VIRTIOFSD = "/usr/lib/qemu/virtiofsd";

export function virtiofsdArgv(share: VmShare, socket: string, daemon = VIRTIOFSD): string[] {
  const base = [
    daemon,
    `--socket-path=${socket}`,
    "-o",
    `source=${share.hostPath}`,
    "-o",
    "cache=auto",
    "-o",
    "sandbox=chroot",
  ];
  if (!share.readOnly) return base;
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const src = q(share.hostPath);
  const script = `mount --bind ${src} ${src} && mount -o remount,bind,ro ${src} ${src} && exec "$@"`;
  return [
    requireTool("unshare", "for read-only virtio-fs shares"),
    "--mount",
    "--propagation",
    "private",
    "--",
    "/bin/sh",
    "-c",
    script,
    "virtiofsd",
    ...base,
  ];
}

export async function startVirtiofsd(share: VmShare, socket: string, logPath: string): Promise<Subprocess> {
  if (!existsSync(VIRTIOFSD)) {
    throw failedPrecondition(`${VIRTIOFSD} not found (needed for virtio-fs shares)`, {
      hint: "install it with: apt-get install qemu-system-common, or use 9p shares",
    });
  }
  const proc = guardedSpawn(virtiofsdArgv(share, socket), { logPath });
  // The daemon creates its socket once it is ready for QEMU.
  const until = Date.now() + 5000;
  while (!existsSync(socket)) {
    if (proc.exitCode !== null || Date.now() > until) {
      proc.kill("SIGKILL");
      throw failedPrecondition(`virtiofsd for ${share.hostPath} did not start`, {
        hint: `see ${logPath}, or use 9p shares`,
      });
    }
    await Bun.sleep(5);
  }
  return proc;
}
