// The one place that picks a VM driver for this host: QEMU on Linux, vfkit on macOS.
import { hostGuestArch } from "../constants.ts";
import { failedPrecondition } from "../errors.ts";
import { QemuDriver } from "./qemu/driver.ts";
import { VfkitDriver } from "./vfkit/driver.ts";
import type { VmDriver } from "./vm-interface.ts";

export async function hostDriver(platform: NodeJS.Platform = process.platform): Promise<VmDriver> {
  const arch = hostGuestArch();
  if (platform === "linux") return QemuDriver.create(arch);
  if (platform === "darwin") return VfkitDriver.create(arch);
  throw failedPrecondition(`runm cannot boot VMs on ${platform}`, {
    hint: "use Linux (QEMU) or macOS (vfkit)",
  });
}
