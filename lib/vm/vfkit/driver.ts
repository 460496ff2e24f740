// The vfkit driver (macOS): arm64 guests on Virtualization.framework, networking by gvproxy.
import { existsSync, statSync } from "node:fs";
import type { GuestArch } from "../../constants.ts";
import { invalidArgument } from "../../errors.ts";
import { requireTool } from "../../tools.ts";
import type { Vm, VmConfig, VmDriver } from "../vm-interface.ts";
import { type VfkitTools, VfkitVm } from "./vfkit-vm.ts";

export class VfkitDriver implements VmDriver {
  readonly name = "vfkit" as const;
  /** vfkit has no save/restore: every VM boots. */
  readonly snapshots = false;

  identity(): string {
    return this.tools.vfkit;
  }

  constructor(private readonly tools: VfkitTools) {}

  static create(arch: GuestArch): VfkitDriver {
    if (arch !== "arm64") {
      throw invalidArgument(`the vfkit driver boots arm64 guests only (asked for ${arch})`, {
        hint: "build the arm64 guest: runm build all --arch arm64",
      });
    }
    return new VfkitDriver({
      vfkit: requireTool("vfkit", "to boot VMs"),
      gvproxy: requireTool("gvproxy", "for VM networking"),
    });
  }

  configure(config: VmConfig): Vm {
    if (config.podNetns)
      throw invalidArgument("a pod's CNI network namespace is Linux's: vfkit VMs have gvproxy's network", {
        hint: "run the pod without a CNI network on macOS",
      });
    if (config.shareKind === "9p") {
      throw invalidArgument("vfkit shares directories with virtio-fs only", {
        hint: "drop the 9p share option",
      });
    }
    for (const s of config.shares) {
      if (existsSync(s.hostPath) && !statSync(s.hostPath).isDirectory())
        throw invalidArgument(
          `cannot share the file ${s.hostPath} on macOS: Virtualization.framework shares directories`,
          {
            hint: "bind its directory instead",
          },
        );
    }
    return new VfkitVm({ ...config, shareKind: "virtiofs" }, this.tools);
  }
}
