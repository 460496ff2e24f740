// The command tree. Each group is imported only when used, so `runm --help` stays fast.
import pkg from "../package.json" with { type: "json" };
import { command } from "./command.ts";

const lazy = (load: () => Promise<{ default: unknown }>) => () => load().then((m) => m.default as never);

export const root = command({
  meta: { name: "runm", version: pkg.version, description: "Run each Linux container in its own micro-VM" },
  args: {
    debug: { type: "boolean", description: "Show stack traces and debug logs" },
    "log-level": { type: "string", description: "silent | error | warn | info | debug | trace" },
  },
  subCommands: {
    build: lazy(() => import("./commands/build/index.ts")),
    vm: lazy(() => import("./commands/vm/index.ts")),
    template: lazy(() => import("./commands/template/index.ts")),
    image: lazy(() => import("./commands/image/index.ts")),
    dev: lazy(() => import("./commands/dev/index.ts")),
    scenario: lazy(() => import("./commands/scenario/index.ts")),
    forks: lazy(() => import("./commands/forks/index.ts")),
    doctor: lazy(() => import("./commands/doctor.ts")),
    install: lazy(() => import("./commands/install.ts")),
    uninstall: lazy(() => import("./commands/uninstall.ts")),
    package: lazy(() => import("./commands/package.ts")),
    version: lazy(() => import("./commands/version.ts")),
  },
  examples: ["runm doctor", "runm build all", "runm vm run --rootfs ./rootfs -- echo hello"],
});
