import { forksContext } from "../../../lib/forks/context.ts";
import { exportFork } from "../../../lib/forks/export.ts";
import { seriesDir } from "../../../lib/forks/manifest.ts";
import { command } from "../../command.ts";
import { dirArg } from "./_shared.ts";

export default command({
  meta: {
    name: "export",
    description: "Regenerate forks/NAME/*.patch from the fork's commits on top of its pin",
  },
  args: {
    name: { type: "positional", required: true, description: "The fork" },
    ...dirArg,
  },
  examples: ["runm forks export containerd", "runm forks export nerdctl --dir ~/src"],
  async run({ args }) {
    const ctx = forksContext({ names: [args.name], dir: args.dir });
    const t = ctx.targets[0];
    if (!t) return;
    const out = seriesDir(ctx.root, t.spec.name);
    const files = await exportFork(t.spec, t.path, out);
    process.stdout.write(`${t.spec.name}: exported ${files.length} patch(es) to ${out}\n`);
    for (const f of files) process.stdout.write(`  ${f}\n`);
  },
});
