// The reaper against real processes: an orphan re-parented to this (subreaper) test process is
// reaped with its exact status, a killed one gives 128+signal, and a stray zombie is swept.
import { afterAll, expect, test } from "bun:test";
import { type ExitInfo, Reaper, zombieChildren } from "./reaper.ts";

Reaper.becomeSubreaper();
const reaper = new Reaper();
afterAll(() => reaper.stop());

/** Start `sh -c script &` and return the background job's pid (an orphan re-parented to us). */
async function orphan(script: string): Promise<number> {
  const p = Bun.spawn(["sh", "-c", `(${script}) >/dev/null 2>&1 & echo $!`], { stdout: "pipe" });
  reaper.ownedByBun(p.pid, p.exited);
  const pid = Number((await new Response(p.stdout).text()).trim());
  await p.exited;
  return pid;
}

test("exact statuses of re-parented processes", async () => {
  const exited = (pid: number) => new Promise<ExitInfo>((r) => reaper.watch(pid, r));
  const a = await orphan("sleep 0.2; exit 42");
  const b = await orphan("sleep 5");
  const ea = exited(a);
  const eb = exited(b);
  process.kill(b, "SIGKILL");
  expect((await ea).status).toBe(42);
  expect((await eb).status).toBe(137);
  expect(zombieChildren(process.pid)).toEqual([]);
});

test("a zombie nobody waits for is swept", async () => {
  reaper.stop(); // its own idle sweep would otherwise collect the zombie first
  const pid = await orphan("sleep 0.1; exit 3"); // outlives sh, which may reap a child that is already done
  const deadline = Date.now() + 2000;
  while (!zombieChildren(process.pid).includes(pid) && Date.now() < deadline) await Bun.sleep(10);
  expect(zombieChildren(process.pid)).toContain(pid);
  expect(reaper.sweep()).toBe(1);
  expect(zombieChildren(process.pid)).toEqual([]);
});
