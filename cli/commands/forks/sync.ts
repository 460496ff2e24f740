import { invalidArgument } from "../../../lib/errors.ts";
import { forksContext } from "../../../lib/forks/context.ts";
import { syncFork } from "../../../lib/forks/sync.ts";
import { command } from "../../command.ts";
import { dirArg, upstreamArg, upstreamValues } from "./_shared.ts";

export default command({
  meta: {
    name: "sync",
    description: "Rebase a fork's series onto a new upstream ref, then move the pin and re-export",
  },
  args: {
    name: { type: "positional", required: true, description: "The fork" },
    to: { type: "string", required: true, description: "Upstream tag, branch or commit to move to" },
    ...dirArg,
    ...upstreamArg,
  },
  examples: ["runm forks sync containerd --to v2.3.5", "runm forks sync fsutil --to master"],
  async run({ args, rawArgs }) {
    if (!args.to) throw invalidArgument("--to REF is required");
    const ctx = forksContext({
      names: [args.name],
      dir: args.dir,
      upstream: upstreamValues(rawArgs),
      from: args.from,
    });
    const t = ctx.targets[0];
    if (!t) return;
    const r = await syncFork({ root: ctx.root, manifest: ctx.manifest, ...t, to: args.to });
    process.stdout.write(
      r.unchanged
        ? `${r.name}: already pinned at ${r.to.slice(0, 12)}; nothing changed\n`
        : `${r.name}: pin ${r.from.slice(0, 12)} -> ${r.to.slice(0, 12)} (${r.describe ?? "untagged"}); exported ${r.files.length} patch(es)\n`,
    );
  },
});
