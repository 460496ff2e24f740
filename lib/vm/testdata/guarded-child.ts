// Test helper process: spawns a guarded `sleep`, registers its teardown, prints the sleep's pid,
// then waits to be killed (guarded-spawn.test.ts, cleanup.test.ts).
import { registerCleanup } from "../cleanup.ts";
import { guardedSpawn, stopPid } from "../guarded-spawn.ts";

const child = guardedSpawn(["sleep", "300"]);
registerCleanup({
  name: "sleep",
  run: () => stopPid(child.pid),
  runSync: () => process.kill(child.pid, "SIGKILL"),
});
process.stdout.write(`${child.pid}\n`);
setInterval(() => {}, 1000);
