import { readGuestManifest } from "../../../lib/guest-manifest.ts";
import { DEFAULT_VM_CPUS } from "../../../lib/vm/defaults.ts";
import { hostDriver } from "../../../lib/vm/select-driver.ts";
import { archArg, parseArch } from "../../arch.ts";
import { command } from "../../command.ts";

export default command({
  meta: { name: "shell", description: "Boot a bare guest with a shell on the console (for debugging)" },
  args: {
    cpus: {
      type: "string",
      description: `vCPUs (default ${DEFAULT_VM_CPUS} here: 2 on hosts with 4+ cores, else 1)`,
    },
    memory: { type: "string", description: "Memory in MiB (default 512)" },
    ...archArg,
  },
  examples: ["runm vm shell   # 'reboot -f' in the guest (or Ctrl-A x) quits", "runm vm shell --arch arm64"],
  async run({ args }) {
    const m = readGuestManifest(parseArch(args.arch));
    const vm = (await hostDriver(process.platform, m.arch)).configure({
      id: `shell-${process.pid}`,
      arch: m.arch,
      kernel: m.kernel.path,
      initrd: m.initramfs.path,
      mbinDisk: m.squashfs.path,
      mode: "shell",
      cpus: Number(args.cpus ?? DEFAULT_VM_CPUS),
      memoryMiB: Number(args.memory ?? 512),
      shares: [],
      ports: [],
      console: "terminal",
    });
    try {
      await vm.start({ kind: "none" });
      await vm.exited();
    } finally {
      await vm.shutdown();
    }
  },
});
