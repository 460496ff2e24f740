import { chosenAccel, failedRequired, runChecks } from "../../lib/doctor/checks.ts";
import { command } from "../command.ts";
import { printTable } from "../table.ts";

export default command({
  meta: {
    name: "doctor",
    description: "Check this host for everything runm needs, with the fix for each problem",
  },
  args: {
    json: { type: "boolean", description: "Print the results as JSON" },
    prefix: { type: "string", description: "Where runm install put the runtime (default /usr/local)" },
  },
  examples: ["runm doctor", "runm doctor --json | jq '.checks[] | select(.status != \"ok\")'"],
  async run({ args }) {
    const checks = await runChecks(process.platform, args.prefix);
    const accel = chosenAccel(checks);
    const failed = failedRequired(checks);
    if (args.json) {
      process.stdout.write(
        `${JSON.stringify({ ok: failed.length === 0, accel: accel ?? null, checks }, null, 2)}\n`,
      );
    } else {
      printTable(
        ["check", "status", "detail", "fix"],
        checks.map((c) => [
          c.name,
          c.required || c.status === "ok" ? c.status : `${c.status} (optional)`,
          c.detail,
          c.fix ?? "",
        ]),
      );
      process.stdout.write(`\naccelerator: ${accel ?? "none usable"}\n`);
      process.stdout.write(
        failed.length ? `${failed.length} required check(s) failed\n` : "all required checks passed\n",
      );
    }
    if (failed.length) process.exitCode = 1;
  },
});
