import { forksContext } from "../../../lib/forks/context.ts";
import { forkStatus } from "../../../lib/forks/status.ts";
import { command } from "../../command.ts";
import { printTable } from "../../table.ts";
import { dirArg, forkNames, upstreamArg, upstreamValues } from "./_shared.ts";

const short = (c: string | null) => (c ? c.slice(0, 12) : "-");

export default command({
  meta: {
    name: "status",
    description: "Show each fork's pin, applied and pending patches, local changes, upstream",
  },
  args: {
    names: { type: "positional", required: false, description: "Forks to show (default: all)" },
    json: { type: "boolean", description: "Print the status as JSON" },
    offline: { type: "boolean", description: "Do not ask the upstream where its HEAD is" },
    ...dirArg,
    ...upstreamArg,
  },
  examples: ["runm forks status", "runm forks status --json --offline | jq '.[] | {name, pending}'"],
  async run({ args, rawArgs }) {
    const ctx = forksContext({
      names: forkNames(args._),
      dir: args.dir,
      upstream: upstreamValues(rawArgs),
      from: args.from,
    });
    const all = await Promise.all(
      ctx.targets.map((t) => forkStatus(t.spec, t.series, t.path, t.url, Boolean(args.offline))),
    );
    if (args.json) {
      process.stdout.write(`${JSON.stringify(all, null, 2)}\n`);
      return;
    }
    printTable(
      ["fork", "pin", "patches", "extra", "tree", "upstream", "path"],
      all.map((s) => [
        s.name,
        `${short(s.base)} ${s.describe ?? "(untagged)"}`,
        s.installed
          ? `${s.applied.length}/${s.applied.length + s.pending.length} applied${s.modified.length ? ` (${s.modified.length} modified)` : ""}`
          : "not installed",
        String(s.extra.length),
        s.operation
          ? `${s.operation} in progress`
          : s.dirty.length
            ? `dirty (${s.dirty.length})`
            : s.installed
              ? "clean"
              : "-",
        s.upstreamMoved === null
          ? "unknown"
          : s.upstreamMoved
            ? `moved (${short(s.upstreamHead)})`
            : "at pin",
        s.path,
      ]),
    );
  },
});
