import { command } from "../../command.ts";

const lazy = (load: () => Promise<{ default: unknown }>) => () => load().then((m) => m.default as never);

export default command({
  meta: {
    name: "forks",
    description:
      "Manage the pinned, patched forks of containerd, nerdctl, buildkit, fsutil, gvisor-tap-vsock",
  },
  subCommands: {
    install: lazy(() => import("./install.ts")),
    status: lazy(() => import("./status.ts")),
    sync: lazy(() => import("./sync.ts")),
    export: lazy(() => import("./export.ts")),
    build: lazy(() => import("./build.ts")),
  },
  examples: ["runm forks install", "runm forks status", "runm forks sync containerd --to v2.3.5"],
});
