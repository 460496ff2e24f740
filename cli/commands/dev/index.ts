import { command } from "../../command.ts";

export default command({
  meta: { name: "dev", description: "Run a development containerd with the runm runtime registered" },
  subCommands: {
    containerd: () => import("./containerd.ts").then((m) => m.default),
    env: () => import("./env.ts").then((m) => m.default),
  },
});
