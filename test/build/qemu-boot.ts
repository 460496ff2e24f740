// Test helper: boot a built guest under QEMU TCG (microvm, PVH vmlinux) and watch its serial
// console for a marker. The VM driver proper lives in lib/vm/; this keeps the build's own boot
// check independent of it, with the whole argv in one place. The QEMU process is tracked by PID
// and always ended by PID.
import { BOOT_MARKER, CMDLINE, type GuestMode } from "../../lib/constants.ts";
import { hostTscKhz } from "../../lib/vm/qemu/host-tsc.ts";

export interface BootInput {
  kernel: string;
  initramfs: string;
  /** The mbin squashfs; omit to boot without a disk (tests /init's failure path). */
  squashfs?: string;
  mode: GuestMode;
  memoryMiB?: number;
  /** Typed on the console once `after` has appeared (shell mode). */
  input?: { after: string; text: string };
}

export function bootArgv(b: BootInput, tscKhz = hostTscKhz()): string[] {
  const cmdline = [
    "console=ttyS0",
    "panic=-1",
    ...(tscKhz ? [`tsc_early_khz=${tscKhz}`] : []),
    `${CMDLINE.mode}=${b.mode}`,
    `${CMDLINE.time}=${Date.now()}`,
  ].join(" ");
  return [
    "qemu-system-x86_64",
    "-machine",
    "microvm",
    "-accel",
    "tcg",
    "-cpu",
    "max",
    "-m",
    String(b.memoryMiB ?? 256),
    "-nographic",
    "-no-reboot",
    "-kernel",
    b.kernel,
    "-initrd",
    b.initramfs,
    "-append",
    cmdline,
    ...(b.squashfs
      ? [
          "-drive",
          `id=mbin,file=${b.squashfs},format=raw,if=none,readonly=on`,
          "-device",
          "virtio-blk-device,drive=mbin",
        ]
      : []),
  ];
}

export interface BootResult {
  console: string;
  /** Seconds from spawn until `until` appeared on the console (null if it never did). */
  markerSeconds: number | null;
  exitCode: number | null;
  pid: number;
}

/** Boot, wait for `until` on the console and for QEMU to exit (the guest powers off). */
export async function bootGuest(b: BootInput, until = BOOT_MARKER, timeoutMs = 90_000): Promise<BootResult> {
  const started = performance.now();
  const proc = Bun.spawn(bootArgv(b), { stdin: "pipe", stdout: "pipe", stderr: "pipe" });
  let out = "";
  let markerSeconds: number | null = null;
  let sent = false;
  const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
  try {
    const decoder = new TextDecoder();
    for await (const chunk of proc.stdout) {
      out += decoder.decode(chunk, { stream: true });
      if (markerSeconds === null && out.includes(until)) markerSeconds = (performance.now() - started) / 1000;
      if (b.input && !sent && out.includes(b.input.after)) {
        sent = true;
        proc.stdin.write(b.input.text);
        proc.stdin.flush();
      }
    }
    const exitCode = await proc.exited;
    out += await new Response(proc.stderr).text();
    return { console: out, markerSeconds, exitCode, pid: proc.pid };
  } finally {
    clearTimeout(timer);
    if (proc.exitCode === null) {
      proc.kill("SIGKILL");
      await proc.exited;
    }
  }
}

/** True while a process with this PID exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
