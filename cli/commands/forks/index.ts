import { command } from "../../command.ts";

export default command({
  meta: {
    name: "forks",
    description:
      "Manage the pinned, patched forks of containerd, nerdctl, buildkit, fsutil, gvisor-tap-vsock",
  },
  subCommands: {
    // each subcommand in its own file, lazily imported: name: () => import("./x.ts").then((m) => m.default),
  },
});
