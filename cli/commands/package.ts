import { join } from "node:path";
import { buildPackage } from "../../lib/install/package.ts";
import { dirs, REPO_ROOT } from "../../lib/paths.ts";
import { command } from "../command.ts";

export default command({
  meta: {
    name: "package",
    description:
      "Build a Debian package of the runtime (runm, the shim, the guest image) for machines without the source",
  },
  args: { output: { type: "string", description: "Directory for runm_<version>_<arch>.deb (default .)" } },
  examples: ["runm package && apt-get install ./runm_0.1.0_amd64.deb"],
  async run({ args }) {
    const { version } = JSON.parse(await Bun.file(join(REPO_ROOT, "package.json")).text()) as {
      version: string;
    };
    const deb = await buildPackage({ cacheDir: dirs().cache, outDir: args.output ?? ".", version });
    process.stdout.write(`${deb}\n`);
  },
});
