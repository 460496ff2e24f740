import { command } from "../../command.ts";

export default command({
  meta: { name: "template", description: "The VM templates sandboxes are restored from" },
  subCommands: {
    ls: () => import("./ls.ts").then((m) => m.default),
    rm: () => import("./rm.ts").then((m) => m.default),
  },
});
