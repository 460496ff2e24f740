import { resolve } from "node:path";
import { buildFork } from "../../../lib/forks/build.ts";
import { forksContext } from "../../../lib/forks/context.ts";
import { command } from "../../command.ts";
import { dirArg, forkNames } from "./_shared.ts";

export default command({
  meta: {
    name: "build",
    description: "Build the forks' binaries (containerd, nerdctl, buildctl/buildkitd, gvproxy) with Go",
  },
  args: {
    names: { type: "positional", required: false, description: "Forks to build (default: all)" },
    ...dirArg,
    out: { type: "string", description: "Where to put the binaries (default: <cache>/forks/bin)" },
  },
  examples: ["runm forks build", "runm forks build gvisor-tap-vsock --out ./bin"],
  async run({ args }) {
    const ctx = forksContext({ names: forkNames(args._), dir: args.dir });
    for (const t of ctx.targets) {
      const outputs = await buildFork(t.spec, t.path, args.out ? resolve(args.out) : undefined);
      process.stdout.write(
        `${t.spec.name}: built ${outputs.length ? outputs.join(", ") : "(library; compiled only)"}\n`,
      );
    }
  },
});
