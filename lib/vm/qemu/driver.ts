// The QEMU driver: finds the emulator for the guest arch, probes the accelerator once, and
// configures QemuVm instances.
import { statSync } from "node:fs";
import type { GuestArch } from "../../constants.ts";
import { invalidArgument } from "../../errors.ts";
import { requireTool } from "../../tools.ts";
import type { Vm, VmConfig, VmDriver } from "../vm-interface.ts";
import { type Accel, detectAccel } from "./accel.ts";
import { checkShares } from "./jail.ts";
import { QemuVm } from "./qemu-vm.ts";

const EMULATOR: Record<GuestArch, string> = { x86_64: "qemu-system-x86_64", arm64: "qemu-system-aarch64" };

export class QemuDriver implements VmDriver {
  readonly name = "qemu" as const;
  readonly snapshots = true;

  private constructor(
    private readonly qemu: string,
    readonly accel: Accel,
  ) {}

  static async create(arch: GuestArch): Promise<QemuDriver> {
    if (arch !== "x86_64") {
      throw invalidArgument(`the QEMU driver boots x86_64 guests only (asked for ${arch})`, {
        hint: "use an x86_64 guest image: runm build all --arch x86_64",
      });
    }
    const qemu = requireTool(EMULATOR[arch], "to boot VMs");
    return new QemuDriver(qemu, await detectAccel(qemu));
  }

  /** The emulator's path, size and mtime (a new QEMU package changes them) and the accelerator. */
  identity(): string {
    const st = statSync(this.qemu);
    return `${this.qemu}:${st.size}:${st.mtimeMs}:${this.accel}`;
  }

  configure(config: VmConfig): Vm {
    if (config.cpus < 1 || !Number.isInteger(config.cpus))
      throw invalidArgument(`bad cpu count ${config.cpus}`);
    if (config.memoryMiB < 64)
      throw invalidArgument(`too little memory: ${config.memoryMiB} MiB (need ≥ 64)`);
    checkShares(config.shares);
    return new QemuVm(config, this.qemu, this.accel);
  }
}
