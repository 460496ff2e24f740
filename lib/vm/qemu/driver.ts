// The QEMU driver: finds the emulator for the guest arch, probes the accelerator once, and
// configures QemuVm instances.
import { statSync } from "node:fs";
import { type GuestArch, hostGuestArch } from "../../constants.ts";
import { invalidArgument } from "../../errors.ts";
import { requireTool } from "../../tools.ts";
import type { Vm, VmConfig, VmDriver } from "../vm-interface.ts";
import { type Accel, detectAccel } from "./accel.ts";
import { cpuArg } from "./argv.ts";
import { checkShares } from "./jail.ts";
import { QemuVm } from "./qemu-vm.ts";

const EMULATOR: Record<GuestArch, string> = { x86_64: "qemu-system-x86_64", arm64: "qemu-system-aarch64" };

export class QemuDriver implements VmDriver {
  readonly name = "qemu" as const;
  readonly snapshots = true;

  private constructor(
    readonly arch: GuestArch,
    private readonly qemu: string,
    readonly accel: Accel,
  ) {}

  /**
   * The driver for one guest arch. A guest of the host's arch gets KVM when it really works; a
   * foreign one (an arm64 guest on an x86_64 host) is emulated by TCG: KVM runs only the host's
   * own instruction set.
   */
  static async create(arch: GuestArch, host: GuestArch = hostGuestArch()): Promise<QemuDriver> {
    const qemu = requireTool(EMULATOR[arch], `to boot ${arch} VMs`);
    return new QemuDriver(arch, qemu, arch === host ? await detectAccel(qemu) : "tcg");
  }

  /** The emulator's path, size and mtime (a new QEMU package changes them) and the accelerator. */
  /** The CPU model is part of it: a guest booted on one model must not be restored on another. */
  identity(): string {
    const st = statSync(this.qemu);
    return `${this.qemu}:${st.size}:${st.mtimeMs}:${this.accel}:${cpuArg(this.arch, this.accel)}`;
  }

  configure(config: VmConfig): Vm {
    if (config.arch !== this.arch)
      throw invalidArgument(`this QEMU driver boots ${this.arch} guests, not ${config.arch}`, {
        hint: `make the driver for the guest's arch (QemuDriver.create("${config.arch}"))`,
      });
    if (config.cpus < 1 || !Number.isInteger(config.cpus))
      throw invalidArgument(`bad cpu count ${config.cpus}`);
    if (config.memoryMiB < 64)
      throw invalidArgument(`too little memory: ${config.memoryMiB} MiB (need ≥ 64)`);
    checkShares(config.shares);
    return new QemuVm(config, this.qemu, this.accel);
  }
}
