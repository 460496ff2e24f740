import { listTemplates } from "../../../lib/sandbox/template.ts";
import { command } from "../../command.ts";
import { printTable } from "../../table.ts";
import { currentMatcher } from "./_current.ts";

export default command({
  meta: { name: "ls", description: "List VM templates: shape, memory they hold, whether current" },
  args: { json: { type: "boolean", description: "One JSON array" } },
  examples: ["runm template ls"],
  async run({ args }) {
    const current = await currentMatcher();
    const ts = listTemplates().map((t) => ({ ...t, current: current(t) }));
    if (args.json) return void process.stdout.write(`${JSON.stringify(ts, null, 2)}\n`);
    printTable(
      ["key", "vcpus", "memory", "network", "resident", "built", "state", "dir"],
      ts.map((t) => [
        t.key,
        String(t.shape.cpus),
        `${t.shape.memoryMiB} MiB`,
        t.shape.network ?? "user", // "pod": a tap NIC, for pods on a CNI network
        `${(t.memoryBytes / 2 ** 20).toFixed(0)} MiB`,
        t.createdAt,
        t.current ? "current" : "stale",
        t.dir,
      ]),
    );
  },
});
