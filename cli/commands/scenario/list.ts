import { loadScenarios, scenarioDir } from "../../../lib/scenario/registry.ts";
import { command } from "../../command.ts";
import { printTable } from "../../table.ts";

export default command({
  meta: { name: "list", description: "List the scenarios in scenarios/" },
  args: { json: { type: "boolean", description: "Print them as JSON" } },
  examples: ["runm scenario list"],
  async run({ args }) {
    const all = await loadScenarios();
    if (args.json) {
      const out = all.map((s) => ({
        id: s.id,
        description: s.description,
        steps: s.steps.map((x) => x.name),
      }));
      process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      return;
    }
    printTable(
      ["id", "steps", "description"],
      all.map((s) => [s.id, String(s.steps.length), s.description]),
    );
    process.stdout.write(`\n${all.length} scenario(s) in ${scenarioDir()}\n`);
  },
});
