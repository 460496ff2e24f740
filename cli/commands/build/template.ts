import { hostGuestArch } from "../../../lib/constants.ts";
import { readGuestManifest } from "../../../lib/guest-manifest.ts";
import { ensureTemplate } from "../../../lib/sandbox/template.ts";
import { DEFAULT_VM_CPUS, DEFAULT_VM_MEMORY_MIB } from "../../../lib/vm/defaults.ts";
import { hostDriver } from "../../../lib/vm/select-driver.ts";
import { UsageError } from "../../args.ts";
import { command } from "../../command.ts";

const positive = (v: string | undefined, flag: string, fallback: number) => {
  if (v === undefined) return fallback;
  if (!/^\d+$/.test(v) || Number(v) < 1)
    throw new UsageError(`bad --${flag} "${v}": want a positive integer`);
  return Number(v);
};

export default command({
  meta: {
    name: "template",
    description: "Boot, warm up and snapshot the VM template for a shape (done on first use anyway)",
  },
  args: {
    cpus: { type: "string", description: `vCPUs (default ${DEFAULT_VM_CPUS})` },
    memory: { type: "string", description: `Memory in MiB (default ${DEFAULT_VM_MEMORY_MIB})` },
  },
  examples: ["runm build template", "runm build template --memory 1024"],
  async run({ args }) {
    const t = await ensureTemplate({
      manifest: readGuestManifest(hostGuestArch()),
      driver: await hostDriver(),
      cpus: positive(args.cpus, "cpus", DEFAULT_VM_CPUS),
      memoryMiB: positive(args.memory, "memory", DEFAULT_VM_MEMORY_MIB),
    });
    process.stdout.write(`template ${t.key}: ${t.dir}\n`);
  },
});
