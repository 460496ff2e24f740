import pkg from "../../package.json" with { type: "json" };
import { command } from "../command.ts";

export default command({
  meta: { name: "version", description: "Print runm's version and the Bun it runs on" },
  args: { json: { type: "boolean", description: "Print as JSON" } },
  examples: ["runm version", "runm version --json"],
  run({ args }) {
    const info = { runm: pkg.version, bun: Bun.version, platform: process.platform, arch: process.arch };
    process.stdout.write(
      args.json
        ? `${JSON.stringify(info)}\n`
        : `runm ${info.runm} (bun ${info.bun}, ${info.platform}/${info.arch})\n`,
    );
  },
});
