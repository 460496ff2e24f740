import { command } from "../../command.ts";

export default command({
  meta: { name: "scenario", description: "Run scripted end-to-end demos" },
  subCommands: {
    // each subcommand in its own file, lazily imported: name: () => import("./x.ts").then((m) => m.default),
  },
});
