import { buildAll } from "../../../lib/build/all.ts";
import { dirs } from "../../../lib/paths.ts";
import { command } from "../../command.ts";
import { archArg, forceArg, parseArch, parseJobs, printArtifacts } from "./_shared.ts";

export default command({
  meta: {
    name: "all",
    description: "Build the whole guest for one arch (cached pieces are reused) and write its manifest",
  },
  args: {
    ...archArg,
    source: { type: "string", description: "Kernel source tarball or URL" },
    jobs: { type: "string", description: "make -j value for the kernel" },
    ...forceArg,
  },
  examples: ["runm build all", "runm build all --force", "runm build all --arch arm64"],
  async run({ args }) {
    const r = await buildAll({
      arch: parseArch(args.arch),
      cacheDir: dirs().cache,
      force: args.force,
      jobs: parseJobs(args.jobs),
      source: { flag: args.source },
    });
    printArtifacts(r.artifacts);
    process.stdout.write(`manifest: ${r.manifestPath}\n`);
  },
});
