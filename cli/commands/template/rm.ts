import { listTemplates, removeTemplates } from "../../../lib/sandbox/template.ts";
import { UsageError } from "../../args.ts";
import { command } from "../../command.ts";
import { currentMatcher } from "./_current.ts";

export default command({
  meta: { name: "rm", description: "Remove VM templates (rebuilt on first use): by key, --stale or --all" },
  args: {
    stale: { type: "boolean", description: "Those made from an older guest image or VMM" },
    all: { type: "boolean", description: "Every template" },
  },
  examples: ["runm template rm --stale", "runm template rm 3f2a9c0d1e2b4a5f", "runm template rm --all"],
  async run({ args }) {
    const keys = (args._ as string[]) ?? [];
    if (!args.all && !args.stale && keys.length === 0)
      throw new UsageError("name the templates to remove, or use --stale or --all");
    let doomed = keys;
    if (args.stale) {
      const current = await currentMatcher();
      doomed = listTemplates()
        .filter((t) => !current(t))
        .map((t) => t.key);
      if (doomed.length === 0) return void process.stdout.write("no stale template\n");
    }
    const removed = removeTemplates(args.all ? [] : doomed);
    process.stdout.write(removed.length ? `removed ${removed.join(" ")}\n` : "nothing removed\n");
  },
});
