// The one place that picks a VM driver for this host: QEMU on Linux, vfkit on macOS.
import { type GuestArch, hostGuestArch } from "../constants.ts";
import { failedPrecondition } from "../errors.ts";
import { QemuDriver } from "./qemu/driver.ts";
import { VfkitDriver } from "./vfkit/driver.ts";
import type { VmDriver } from "./vm-interface.ts";

/** The driver for guests of `arch` (default: the host's own) on this host. */
export async function hostDriver(
  platform: NodeJS.Platform = process.platform,
  arch: GuestArch = hostGuestArch(),
): Promise<VmDriver> {
  if (platform === "linux") return QemuDriver.create(arch);
  if (platform === "darwin") return VfkitDriver.create(arch);
  throw failedPrecondition(`runm cannot boot VMs on ${platform}`, {
    hint: "use Linux (QEMU) or macOS (vfkit)",
  });
}
