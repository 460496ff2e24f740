import { command } from "../../command.ts";

export default command({
  meta: { name: "vm", description: "Boot a micro-VM and run a container in it, without containerd" },
  subCommands: {
    run: () => import("./run.ts").then((m) => m.default),
    shell: () => import("./shell.ts").then((m) => m.default),
  },
});
