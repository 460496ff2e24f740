import { command } from "../../command.ts";

export default command({
  meta: { name: "vm", description: "Boot a micro-VM and run a container in it, without containerd" },
  subCommands: {
    // each subcommand in its own file, lazily imported: name: () => import("./x.ts").then((m) => m.default),
  },
});
