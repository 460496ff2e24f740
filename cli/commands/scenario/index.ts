// `runm scenario list`, `runm scenario run <id...>`, and `runm scenario <id>`: every known id is
// also a subcommand (citty dispatches on the first positional), so an unknown one gets the usage,
// which lists them.
import type { CommandDef } from "citty";
import { loadScenarios } from "../../../lib/scenario/registry.ts";
import { command } from "../../command.ts";
import { runCommandFor } from "./run.ts";

export default command({
  meta: { name: "scenario", description: "Run scripted end-to-end demos" },
  subCommands: async () => {
    const subs: Record<string, CommandDef<any>> = {
      list: await import("./list.ts").then((m) => m.default),
      run: runCommandFor(),
    };
    for (const s of await loadScenarios()) subs[s.id] = runCommandFor(s);
    return subs;
  },
});
