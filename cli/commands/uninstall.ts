import { permissionDenied } from "../../lib/errors.ts";
import { uninstall } from "../../lib/install/install.ts";
import { DEFAULT_INSTALL } from "../../lib/install/layout.ts";
import { command } from "../command.ts";

export default command({
  meta: { name: "uninstall", description: "Remove exactly what runm install added (its record says what)" },
  args: {
    prefix: {
      type: "string",
      description: `The prefix runm was installed into (default ${DEFAULT_INSTALL.prefix})`,
    },
    "dry-run": { type: "boolean", description: "Say what would be removed, change nothing" },
  },
  examples: ["runm uninstall", "runm uninstall --prefix /opt/runm --dry-run"],
  async run({ args }) {
    if (process.getuid?.() !== 0 && !args["dry-run"])
      throw permissionDenied("runm uninstall removes system files and edits containerd's config", {
        hint: "run it as root (sudo runm uninstall)",
      });
    const prefix = args.prefix ?? DEFAULT_INSTALL.prefix;
    const say = (line: string) => process.stdout.write(`${line}\n`);
    if (!(await uninstall(prefix, { say, dryRun: args["dry-run"] })))
      say(`nothing to uninstall: no runm install record under ${prefix}/lib/runm`);
  },
});
