import { resolve } from "node:path";
import { failedPrecondition, isRunmError } from "../../../lib/errors.ts";
import { buildFork } from "../../../lib/forks/build.ts";
import { forksContext } from "../../../lib/forks/context.ts";
import { command } from "../../command.ts";
import { dirArg, forkNames } from "./_shared.ts";

export default command({
  meta: {
    name: "build",
    description:
      "Build the forks' binaries (containerd, nerdctl, buildctl/buildkitd, gvproxy) with Go, and compile their patched packages for darwin/arm64",
  },
  args: {
    names: { type: "positional", required: false, description: "Forks to build (default: all)" },
    ...dirArg,
    out: { type: "string", description: "Where to put the binaries (default: <cache>/forks/bin)" },
  },
  examples: ["runm forks build", "runm forks build gvisor-tap-vsock --out ./bin"],
  async run({ args }) {
    const ctx = forksContext({ names: forkNames(args._), dir: args.dir });
    // Every fork gets its chance: one that cannot build here (no vendored modules, say) is
    // reported on its own line and the others still build; the exit status says if any failed.
    const failed: string[] = [];
    for (const t of ctx.targets) {
      try {
        const r = await buildFork(t, args.out ? resolve(args.out) : undefined);
        const darwin = r.darwinChecked.length
          ? `; for darwin/arm64 compiled ${r.darwinChecked.join(" ")}`
          : "";
        process.stdout.write(
          `${t.spec.name}: built ${r.outputs.length ? r.outputs.join(", ") : "(library; compiled only)"} with ${r.toolchain.source} ${r.toolchain.version}${darwin}\n`,
        );
      } catch (e) {
        if (!isRunmError(e) || ctx.targets.length === 1) throw e;
        failed.push(t.spec.name);
        process.stderr.write(`${t.spec.name}: not built: ${e.oneLine()}\n`);
        for (const d of e.details) process.stderr.write(`  ${d}\n`);
      }
    }
    if (failed.length)
      throw failedPrecondition(
        `${failed.length} of ${ctx.targets.length} forks not built: ${failed.join(", ")}`,
        {
          hint: "see each fork's line above",
        },
      );
  },
});
