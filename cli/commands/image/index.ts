import { command } from "../../command.ts";

export default command({
  meta: { name: "image", description: "Build local OCI images for an offline machine" },
  subCommands: {
    build: () => import("./build.ts").then((m) => m.default),
  },
});
