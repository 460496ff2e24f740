// Which QEMU accelerator really works here. /dev/kvm can exist and still be unusable (nested
// "PVM" KVM aborts ordinary guests), so KVM is judged by a test boot, not by the device node:
// a 64 KiB BIOS whose reset vector writes "OK" to the serial port and exits through
// isa-debug-exit. Exit status 99 plus "OK" means guest code really ran under that accelerator.
import { accessSync, constants, existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";

export type Accel = "kvm" | "tcg";

export interface AccelProbe {
  accel: Accel;
  usable: boolean;
  reason: string;
}

const DEBUG_EXIT_VALUE = 0x31; // QEMU exits with (value << 1) | 1
const EXPECTED_EXIT = (DEBUG_EXIT_VALUE << 1) | 1;

/** A 64 KiB real-mode BIOS image: print "OK\n" on COM1, then exit QEMU via isa-debug-exit. */
export function probeBios(): Uint8Array {
  const bios = new Uint8Array(65536).fill(0xf4); // hlt everywhere
  // biome-ignore format: one instruction a line
  const code = [
    0xba, 0xf8, 0x03,        // mov dx, 0x3f8 (COM1)
    0xb0, 0x4f, 0xee,        // mov al, 'O'; out dx, al
    0xb0, 0x4b, 0xee,        // mov al, 'K'; out dx, al
    0xb0, 0x0a, 0xee,        // mov al, '\n'; out dx, al
    0xba, 0xf4, 0x00,        // mov dx, 0xf4 (isa-debug-exit)
    0xb0, DEBUG_EXIT_VALUE, 0xee, // out dx, al -> QEMU exits
    0xf4,                    // hlt
  ];
  bios.set(code, 0xff00);
  bios.set([0xea, 0x00, 0xff, 0x00, 0xf0], 0xfff0); // reset vector: jmp f000:ff00
  return bios;
}

export function probeArgv(qemu: string, accel: Accel, biosPath: string): string[] {
  return [
    qemu,
    "-accel",
    accel,
    "-cpu",
    accel === "kvm" ? "host" : "max",
    "-machine",
    "pc",
    "-nodefaults",
    "-display",
    "none",
    "-monitor",
    "none",
    "-serial",
    "stdio",
    "-bios",
    biosPath,
    "-device",
    "isa-debug-exit,iobase=0xf4,iosize=0x04",
  ];
}

export async function probeAccel(qemu: string, accel: Accel): Promise<AccelProbe> {
  if (accel === "kvm") {
    if (!existsSync("/dev/kvm")) return { accel, usable: false, reason: "/dev/kvm does not exist" };
    try {
      accessSync("/dev/kvm", constants.R_OK | constants.W_OK);
    } catch {
      return { accel, usable: false, reason: "/dev/kvm is not readable and writable by this user" };
    }
  }
  const dir = await mkdtemp(join(tmpdir(), "runm-accel-"));
  try {
    const bios = join(dir, "probe.bin");
    await writeFile(bios, probeBios());
    const [file, ...args] = probeArgv(qemu, accel, bios) as [string, ...string[]];
    const r = await execa(file, args, { reject: false, timeout: 15_000, encoding: "utf8", stdin: "ignore" });
    if (r.exitCode === EXPECTED_EXIT && String(r.stdout).includes("OK")) {
      return { accel, usable: true, reason: "test boot ran guest code" };
    }
    const why = r.timedOut
      ? "test boot hung"
      : (String(r.stderr).trim().split("\n").pop() ?? `exit ${r.exitCode}`) || `exit ${r.exitCode}`;
    return { accel, usable: false, reason: `test boot failed: ${why}` };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

let cached: Promise<Accel> | undefined;

/** The best accelerator that really works: KVM if its test boot passes, else TCG. Probed once. */
export function detectAccel(qemu: string): Promise<Accel> {
  cached ??= probeAccel(qemu, "kvm").then((p) => (p.usable ? "kvm" : "tcg"));
  return cached;
}
