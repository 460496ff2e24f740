// `runm scenario list`, `runm scenario run <id...>`, and `runm scenario <id>`. citty dispatches on
// the first positional as a subcommand name, so every known id is a subcommand, and any other name
// resolves to a run of that id, which fails listing the known ones.
import type { CommandDef } from "citty";
import { loadScenarios } from "../../../lib/scenario/registry.ts";
import { command } from "../../command.ts";
import { runCommandFor } from "./run.ts";

export default command({
  meta: { name: "scenario", description: "Run scripted end-to-end demos" },
  subCommands: async () => {
    // biome-ignore lint/suspicious/noExplicitAny: commands with different args share one table
    const subs: Record<string, CommandDef<any>> = {
      list: await import("./list.ts").then((m) => m.default),
      run: runCommandFor(),
    };
    for (const s of await loadScenarios()) subs[s.id] = runCommandFor(s);
    const isId = (key: string | symbol): key is string => typeof key === "string" && !key.startsWith("-");
    return new Proxy(subs, {
      has: (target, key) => key in target || isId(key),
      get: (target, key) =>
        isId(key) && !(key in target)
          ? runCommandFor({ id: key, description: "", steps: [] }, { unknown: true })
          : target[key as string],
    });
  },
});
