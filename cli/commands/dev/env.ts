import { devEnvLines, readDevEnv } from "../../../lib/dev/dev-containerd.ts";
import { failedPrecondition } from "../../../lib/errors.ts";
import { command } from "../../command.ts";

export default command({
  meta: {
    name: "env",
    description: "Print the running dev containerd's environment (CONTAINERD_ADDRESS, runtime)",
  },
  args: { json: { type: "boolean", description: "Print it as JSON" } },
  examples: ['eval "$(runm dev env)"', "runm dev env --json"],
  async run({ args }) {
    const env = await readDevEnv();
    if (!env)
      throw failedPrecondition("no dev containerd is running", {
        hint: "start it with: runm dev containerd",
      });
    process.stdout.write(
      args.json ? `${JSON.stringify(env, null, 2)}\n` : `${devEnvLines(env).join("\n")}\n`,
    );
  },
});
