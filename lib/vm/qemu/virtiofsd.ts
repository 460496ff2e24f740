// virtio-fs on QEMU: one QEMU 7.2 C virtiofsd per VM, serving the jail's /share (every share is a
// bind mount there, read-only ones read-only: the daemon has no read-only option of its own, the
// mount makes it honest). It runs inside the VMM's jail (jail.ts: its namespaces and root), as
// root, and confines itself further: its own capability drop, seccomp filter and chroot.
export const VIRTIOFSD = "/usr/lib/qemu/virtiofsd";

/** virtiofsd's argv, with paths inside the jail. */
export function virtiofsdArgv(socket: string, source: string, daemon = VIRTIOFSD): string[] {
  return [
    daemon,
    `--socket-path=${socket}`,
    "-o",
    `source=${source}`,
    "-o",
    "cache=auto",
    "-o",
    "sandbox=chroot",
    // The capabilities it keeps for itself (no mknod: the guest cannot make device files on the
    // host; no setfcap: nor give files capabilities).
    "-o",
    "modcaps=-mknod:-setfcap",
    // Its default reads /proc/sys/fs/file-max, which the jail's /proc does not show.
    "--rlimit-nofile=0",
  ];
}
