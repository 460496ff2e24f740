import { RUNM_RUNTIME_NAME } from "../../../lib/constants.ts";
import { invalidArgument } from "../../../lib/errors.ts";
import { loadScenarios, selectScenarios } from "../../../lib/scenario/registry.ts";
import { RESULT_HEADER, resultJson, resultRows, summaryLine } from "../../../lib/scenario/report.ts";
import { runSession } from "../../../lib/scenario/session.ts";
import type { Scenario } from "../../../lib/scenario/types.ts";
import { command } from "../../command.ts";
import { formatTable } from "../../table.ts";

const runArgs = {
  keep: { type: "boolean", description: "Leave containers and temp dirs in place for inspection" },
  json: { type: "boolean", description: "Print the results as JSON on stdout (step output goes to stderr)" },
  "with-containerd": { type: "boolean", description: "Start a private containerd for this run" },
  address: { type: "string", description: "containerd socket (default: the running dev containerd)" },
  runtime: { type: "string", description: `containerd runtime (default: ${RUNM_RUNTIME_NAME})` },
  client: { type: "string", description: "ctr | nerdctl (default: nerdctl when on PATH, else ctr)" },
  build: {
    type: "boolean",
    default: true,
    description:
      "With --with-containerd: rebuild the guest image when stale (--no-build: use the cached one)",
  },
  snapshotter: { type: "string", description: "containerd snapshotter (default: native for runm)" },
} as const;

/** `run <id...>` when no scenario is given, else the command for that one scenario. */
export function runCommandFor(fixed?: Scenario, o: { unknown?: boolean } = {}) {
  return command({
    meta: {
      name: fixed?.id ?? "run",
      description: fixed?.description ?? "Run scenarios by id (a trailing * matches a prefix)",
    },
    args: fixed
      ? runArgs
      : { id: { type: "positional", description: "Scenario id(s)", required: true }, ...runArgs },
    examples: fixed
      ? [`runm scenario ${fixed.id}`, `runm scenario ${fixed.id} --with-containerd --json`]
      : ["runm scenario run 2025-07-05:01", "runm scenario run 'checklist:*' --with-containerd"],
    async run({ args }) {
      const ids = fixed ? [fixed.id] : (args._ as string[]);
      if (o.unknown) selectScenarios(await loadScenarios(), ids); // throws, naming the known ids
      if (args.client !== undefined && args.client !== "ctr" && args.client !== "nerdctl")
        throw invalidArgument(`unknown --client ${args.client}`, { hint: "use ctr or nerdctl" });
      const out = args.json ? process.stderr : process.stdout;
      const results = await runSession({
        ids,
        keep: args.keep,
        withContainerd: args["with-containerd"],
        address: args.address,
        runtime: args.runtime,
        client: args.client as "ctr" | "nerdctl" | undefined,
        snapshotter: args.snapshotter,
        noBuild: !args.build,
        write: (line) => out.write(`${line}\n`),
      });
      if (args.json) process.stdout.write(`${resultJson(results)}\n`);
      else process.stdout.write(`\n${formatTable(RESULT_HEADER, resultRows(results))}\n\n`);
      const summary = summaryLine(results);
      const failed = results.some((r) => r.status === "fail") || results.length === 0;
      process.stderr.write(`${failed ? "runm: " : ""}${summary}\n`);
      if (failed) process.exitCode = 1;
    },
  });
}
