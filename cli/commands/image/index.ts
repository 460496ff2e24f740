import { command } from "../../command.ts";

export default command({
  meta: { name: "image", description: "Build local OCI images for an offline machine" },
  subCommands: {
    // each subcommand in its own file, lazily imported: name: () => import("./x.ts").then((m) => m.default),
  },
});
