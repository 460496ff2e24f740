// The watchdog is plain sh, so its behaviour is tested for real here on Linux.
import { expect, test } from "bun:test";
import { pidAlive } from "../../sys/proc.ts";
import { watchdogArgv } from "./watchdog.ts";

const childPid = (watchdog: number): number => {
  const out = Bun.spawnSync(["pgrep", "-P", String(watchdog), "-x", "sleep"])
    .stdout.toString()
    .trim();
  return Number(out.split("\n")[0]);
};

async function gone(pid: number, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (pidAlive(pid) && Date.now() < until) await Bun.sleep(20);
  return !pidAlive(pid);
}

test("the helper dies within ~1 s of its parent's death", async () => {
  // The "parent" is a sleep we kill; the watchdog notices on its next poll.
  const parent = Bun.spawn(["sleep", "300"]);
  const dog = Bun.spawn(watchdogArgv(parent.pid, ["sleep", "301"]));
  await Bun.sleep(200);
  const helper = childPid(dog.pid);
  expect(helper).toBeGreaterThan(0);
  parent.kill("SIGKILL");
  expect(await gone(helper, 3000)).toBe(true);
  await dog.exited;
});

test("SIGTERM to the watchdog stops the helper at once", async () => {
  const dog = Bun.spawn(watchdogArgv(process.pid, ["sleep", "302"]));
  await Bun.sleep(200);
  const helper = childPid(dog.pid);
  expect(helper).toBeGreaterThan(0);
  const t = performance.now();
  dog.kill("SIGTERM");
  await dog.exited;
  expect(await gone(helper, 2000)).toBe(true);
  expect(performance.now() - t).toBeLessThan(900);
});
