import { forksContext } from "../../../lib/forks/context.ts";
import { installFork } from "../../../lib/forks/install.ts";
import { command } from "../../command.ts";
import { dirArg, forkNames, upstreamArg, upstreamValues } from "./_shared.ts";

export default command({
  meta: {
    name: "install",
    description: "Clone or fetch each fork, check out its pin on branch runm, apply its series",
  },
  args: {
    names: { type: "positional", required: false, description: "Forks to install (default: all)" },
    ...dirArg,
    ...upstreamArg,
  },
  examples: [
    "runm forks install",
    "runm forks install containerd nerdctl --dir ~/src",
    "runm forks install fsutil --upstream fsutil=/srv/mirrors/fsutil.git",
    "runm forks install --from /srv/mirrors",
  ],
  async run({ args, rawArgs }) {
    const ctx = forksContext({
      names: forkNames(args._),
      dir: args.dir,
      upstream: upstreamValues(rawArgs),
      from: args.from,
    });
    for (const t of ctx.targets) {
      const r = await installFork(t.spec, t.series, t.path, t.url);
      const what = r.unchanged
        ? `already installed, ${t.series.length} patch(es) applied; nothing changed`
        : `${r.cloned ? "cloned; " : ""}applied ${r.appliedNow.length} of ${t.series.length} patch(es)`;
      process.stdout.write(`${t.spec.name}: ${what} (${t.path}, branch runm)\n`);
    }
  },
});
