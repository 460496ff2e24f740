import { command } from "../../command.ts";

export default command({
  meta: { name: "dev", description: "Run a development containerd with the runm runtime registered" },
  subCommands: {
    // each subcommand in its own file, lazily imported: name: () => import("./x.ts").then((m) => m.default),
  },
});
