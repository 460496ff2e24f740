// The QEMU driver: finds the emulator for the guest arch, probes the accelerator once, and
// configures QemuVm instances.
import type { GuestArch } from "../../constants.ts";
import { invalidArgument } from "../../errors.ts";
import { requireTool } from "../../tools.ts";
import type { Vm, VmConfig, VmDriver } from "../vm-interface.ts";
import { type Accel, detectAccel } from "./accel.ts";
import { QemuVm } from "./qemu-vm.ts";

const EMULATOR: Record<GuestArch, string> = { x86_64: "qemu-system-x86_64", arm64: "qemu-system-aarch64" };

export class QemuDriver implements VmDriver {
  readonly name = "qemu" as const;

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

  configure(config: VmConfig): Vm {
    if (config.cpus < 1 || !Number.isInteger(config.cpus))
      throw invalidArgument(`bad cpu count ${config.cpus}`);
    if (config.memoryMiB < 64)
      throw invalidArgument(`too little memory: ${config.memoryMiB} MiB (need ≥ 64)`);
    const tags = new Set<string>();
    for (const s of config.shares) {
      if (!/^[A-Za-z0-9_-]{1,31}$/.test(s.tag) || tags.has(s.tag))
        throw invalidArgument(`bad share tag ${s.tag}`);
      tags.add(s.tag);
    }
    return new QemuVm(config, this.qemu, this.accel);
  }
}
