import { expect, test } from "bun:test";
import { join } from "node:path";
import { identify, pidAlive, stopVerified } from "../sys/proc.ts";
import { guardArgv } from "./guarded-spawn.ts";

const CHILD = join(import.meta.dir, "testdata/guarded-child.ts");

async function startChild(
  env: Record<string, string> = {},
): Promise<{ parent: ReturnType<typeof Bun.spawn>; sleepPid: number }> {
  const parent = Bun.spawn(["bun", CHILD], {
    stdout: "pipe",
    stderr: "inherit",
    env: { ...process.env, ...env },
  });
  const reader = (parent.stdout as ReadableStream<Uint8Array>).getReader();
  const { value } = await reader.read();
  reader.releaseLock();
  const sleepPid = Number(new TextDecoder().decode(value).trim());
  expect(sleepPid).toBeGreaterThan(0);
  expect(pidAlive(sleepPid)).toBe(true);
  return { parent, sleepPid };
}

async function goneWithin(pid: number, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (!pidAlive(pid)) return true;
    await Bun.sleep(10);
  }
  return !pidAlive(pid);
}

test("on Linux the argv is wrapped in setpriv --pdeathsig SIGKILL and a parent check; elsewhere it is unchanged", () => {
  const argv = guardArgv(["qemu", "-x"], "linux", 42);
  expect(argv.slice(1, 6)).toEqual(["--pdeathsig", "SIGKILL", "--", "/bin/sh", "-c"]);
  expect(argv.slice(7)).toEqual(["42", "qemu", "-x"]);
  expect(guardArgv(["vfkit", "-x"], "darwin")).toEqual(["vfkit", "-x"]);
});

test("the program runs only while its parent is the runm that spawned it", async () => {
  const run = async (parentPid: number) => {
    const p = Bun.spawn(guardArgv(["echo", "ran", "$0"], "linux", parentPid), { stdout: "pipe" });
    return { out: (await new Response(p.stdout).text()).trim(), code: await p.exited };
  };
  expect(await run(process.pid)).toEqual({ out: "ran $0", code: 0 });
  // A parent gone before the signal was armed: the child sees another parent and never starts.
  expect(await run(process.pid + 1_000_000)).toEqual({ out: "", code: 1 });
});

test("a guarded child dies when its parent is SIGKILLed (no cleanup code runs)", async () => {
  const { parent, sleepPid } = await startChild();
  parent.kill("SIGKILL");
  await parent.exited;
  expect(await goneWithin(sleepPid, 2000)).toBe(true);
});

test("SIGINT runs the cleanup registry and exits 130", async () => {
  const { parent, sleepPid } = await startChild();
  parent.kill("SIGINT");
  expect(await parent.exited).toBe(130);
  expect(await goneWithin(sleepPid, 2000)).toBe(true);
});

test("SIGTERM exits 143 after cleanup", async () => {
  const { parent, sleepPid } = await startChild();
  parent.kill("SIGTERM");
  expect(await parent.exited).toBe(143);
  expect(await goneWithin(sleepPid, 2000)).toBe(true);
});

test("stopVerified ends a process that ignores SIGTERM with SIGKILL", async () => {
  const p = Bun.spawn(["sh", "-c", "trap '' TERM; while :; do sleep 0.05; done"]);
  await Bun.sleep(100);
  const id = identify(p.pid);
  if (!id) throw new Error("no such process");
  await stopVerified(id, 200);
  expect(await p.exited).not.toBe(0);
  expect(pidAlive(p.pid)).toBe(false);
});
