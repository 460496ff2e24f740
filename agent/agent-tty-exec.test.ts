// tty, exec, kill all, ps, pause/resume, stats, update, events and OOM through the real agent.
import { afterAll, afterEach, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import type { AgentEvent } from "../lib/agent-client/index.ts";
import {
  type AgentHarness,
  descendants,
  ociProcess,
  ociSpec,
  startAgent,
  text,
} from "../test/fixtures/agent-harness.ts";

// Real runc on a shared 2-CPU machine: a container run takes 0.3 s idle, several s under load.
setDefaultTimeout(30_000);

let h: AgentHarness;
let n = 0;
const id = () => `x${process.pid}-${++n}`;
const enc = (s: string) => new TextEncoder().encode(s);

beforeAll(async () => {
  h = await startAgent();
}, 30_000);
afterAll(async () => {
  const left = descendants(h.agentPid);
  const code = await h.stop(); // first, so a failed check below leaks nothing
  expect(left).toEqual([]);
  expect(code).toBe(0); // the agent never crashed and stopped cleanly
});
afterEach(async () => {
  await Bun.sleep(50);
  expect(descendants(h.agentPid)).toEqual([]);
});

/** Wait (up to 10 s) for `cond`: events arrive on their own stream, after the RPC that caused them. */
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await Bun.sleep(20);
}

async function startSleeper(c: string, opts: { terminal?: boolean } = {}) {
  await h.client.create(c, ociSpec(["sleep", "1000"]), { rootfs: h.rootfs, stdio: opts });
  await h.client.start({ containerId: c });
}

async function finish(c: string) {
  await h.client.kill({ containerId: c }, 9, true);
  await h.client.wait({ containerId: c });
  await h.client.delete({ containerId: c });
}

test("tty: tty prints a /dev/pts path and stty size follows a resize", async () => {
  const c = id();
  await h.client.create(c, ociSpec(["sh", "-c", "tty; read x; stty size"], { terminal: true }), {
    rootfs: h.rootfs,
    stdio: { terminal: true },
  });
  const out = text(h.client.output({ containerId: c }));
  await h.client.start({ containerId: c });
  await h.client.resizePty({ containerId: c }, 100, 30);
  await h.client.writeStdin({ containerId: c }, enc("go\n"));
  const exit = await h.client.wait({ containerId: c });
  const s = await out;
  expect(exit.exitStatus).toBe(0);
  expect(s).toMatch(/(^|\n)\/dev\/pts\/\d+\r\n/);
  expect(s).toContain("30 100\r\n");
  await h.client.delete({ containerId: c });
});

test("exec into a running container, with pipes and with a tty", async () => {
  const c = id();
  await startSleeper(c);
  await h.client.exec({ containerId: c, execId: "e1" }, ociProcess(["sh", "-c", "echo in-exec; exit 7"]));
  const out = text(h.client.output({ containerId: c, execId: "e1" }));
  await h.client.start({ containerId: c, execId: "e1" });
  expect((await h.client.wait({ containerId: c, execId: "e1" })).exitStatus).toBe(7);
  expect(await out).toBe("in-exec\n");
  expect((await h.client.delete({ containerId: c, execId: "e1" })).exitStatus).toBe(7);

  await h.client.exec(
    { containerId: c, execId: "e2" },
    ociProcess(["sh", "-c", "tty; sleep 0.2; stty size"], { terminal: true }),
    {
      terminal: true,
    },
  );
  await h.client.start({ containerId: c, execId: "e2" });
  await h.client.resizePty({ containerId: c, execId: "e2" }, 80, 24);
  const out3 = text(h.client.output({ containerId: c, execId: "e2" }));
  expect((await h.client.wait({ containerId: c, execId: "e2" })).exitStatus).toBe(0);
  expect(await out3).toMatch(/^\/dev\/pts\/\d+\r\n24 80\r\n$/);
  await h.client.delete({ containerId: c, execId: "e2" });
  await finish(c);
});

test("ps lists the container's processes and kill --all ends them all", async () => {
  const c = id();
  await h.client.create(c, ociSpec(["sh", "-c", "sleep 1000 & sleep 1000 & wait"]), { rootfs: h.rootfs });
  await h.client.start({ containerId: c });
  await Bun.sleep(200);
  const ps = await h.client.ps(c);
  expect(ps.length).toBe(3);
  expect(ps.filter((p) => p.command === "sleep 1000").length).toBe(2);
  await h.client.kill({ containerId: c }, 9, true);
  expect((await h.client.wait({ containerId: c })).exitStatus).toBe(137);
  await h.client.delete({ containerId: c });
});

test("pause and resume, with events in order", async () => {
  const abort = new AbortController();
  const seen: AgentEvent[] = [];
  const c = id();
  const subscribed = Promise.withResolvers<void>();
  const collecting = (async () => {
    for await (const e of h.client.events(abort.signal, subscribed.resolve))
      if (e.containerId === c) seen.push(e);
  })();
  await subscribed.promise;
  await startSleeper(c);
  await h.client.pause(c);
  expect((await h.client.state({ containerId: c })).status).toBe("paused");
  await h.client.resume(c);
  expect((await h.client.state({ containerId: c })).status).toBe("running");
  await finish(c);
  await until(() => seen.some((e) => e.type === "delete"));
  abort.abort();
  await collecting;
  expect(seen.map((e) => e.type)).toEqual(["create", "start", "paused", "resumed", "exit", "delete"]);
  expect(seen.find((e) => e.type === "exit")?.exitStatus).toBe(137);
});

test("stats and update", async () => {
  const c = id();
  await startSleeper(c);
  try {
    // runc's own helper may still be leaving the cgroup right after start.
    let s = await h.client.stats(c);
    for (let i = 0; i < 50 && s.pidsCurrent !== 1; i++) {
      await Bun.sleep(20);
      s = await h.client.stats(c);
    }
    expect(s.pidsCurrent).toBe(1);
    expect(s.memoryUsageBytes).toBeGreaterThan(0);
    expect(s.cpuUsageUsec).toBeGreaterThan(0);
    await h.client.update(c, { memory: { limit: 64 * 1024 * 1024 }, pids: { limit: 50 } });
    const s2 = await h.client.stats(c);
    expect(s2.memoryLimitBytes).toBe(64 * 1024 * 1024);
    expect(s2.pidsLimit).toBe(50);
  } finally {
    await finish(c);
  }
});

test("OOM kill is reported as an event before the exit", async () => {
  const abort = new AbortController();
  const seen: AgentEvent[] = [];
  const c = id();
  const subscribed = Promise.withResolvers<void>();
  const collecting = (async () => {
    for await (const e of h.client.events(abort.signal, subscribed.resolve))
      if (e.containerId === c) seen.push(e);
  })();
  await subscribed.promise;
  const spec = ociSpec(["sh", "-c", "x=$(head -c 200000000 /dev/zero | tr '\\0' a); echo survived"]) as {
    linux: Record<string, unknown>;
  };
  spec.linux.resources = { memory: { limit: 32 * 1024 * 1024, swap: 32 * 1024 * 1024 } };
  await h.client.create(c, spec, { rootfs: h.rootfs });
  await h.client.start({ containerId: c });
  const exit = await h.client.wait({ containerId: c });
  await until(() => seen.some((e) => e.type === "exit"));
  abort.abort();
  await collecting;
  const stats = await h.client.stats(c);
  await h.client.delete({ containerId: c });
  expect(stats.memoryOomKills).toBeGreaterThan(0);
  const types = seen.map((e) => e.type);
  expect(types).toContain("oom");
  expect(types.indexOf("oom")).toBeLessThan(types.indexOf("exit"));
  expect(exit.exitStatus).not.toBe(0);
});

test("CloseStdin ends input: ^D for a tty cat, end of pipe for an exec'd cat", async () => {
  const c = id();
  await h.client.create(c, ociSpec(["cat"], { terminal: true }), {
    rootfs: h.rootfs,
    stdio: { terminal: true },
  });
  const out = text(h.client.output({ containerId: c }));
  await h.client.start({ containerId: c });
  await h.client.writeStdin({ containerId: c }, enc("typed\n"));
  await h.client.closeStdin({ containerId: c });
  expect((await h.client.wait({ containerId: c })).exitStatus).toBe(0);
  expect(await out).toContain("typed\r\n");
  await h.client.delete({ containerId: c });

  const d = id();
  await startSleeper(d);
  const e = { containerId: d, execId: "cat" };
  await h.client.exec(e, ociProcess(["cat"]), { stdin: true });
  const out2 = text(h.client.output(e));
  await h.client.start(e);
  await h.client.writeStdin(e, enc("piped"));
  await h.client.closeStdin(e);
  expect((await h.client.wait(e)).exitStatus).toBe(0);
  expect(await out2).toBe("piped");
  await h.client.delete(e);
  await finish(d);
});
