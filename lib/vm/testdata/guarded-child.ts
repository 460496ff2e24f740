// Test helper process: spawns a guarded `sleep`, registers its teardown, prints the sleep's pid,
// then waits to be killed (guarded-spawn.test.ts, cleanup.test.ts).
import { registerCleanup } from "../../cleanup.ts";
import { guardedSpawn } from "../guarded-spawn.ts";

const child = guardedSpawn(["sleep", "300"]);
registerCleanup({
  name: "sleep",
  run: async () => {
    child.kill("SIGKILL");
    await child.exited;
  },
  runSync: () => process.kill(child.pid, "SIGKILL"),
});
// Report the pid once the guard chain has exec'd sleep, so that the tests see the final process.
const { readFileSync } = await import("node:fs");
const comm = () => {
  try {
    return readFileSync(`/proc/${child.pid}/comm`, "utf8").trim();
  } catch {
    return "";
  }
};
for (let i = 0; i < 500 && process.platform === "linux" && comm() !== "sleep"; i++) await Bun.sleep(10);
process.stdout.write(`${child.pid}\n`);
setInterval(() => {}, 1000);
