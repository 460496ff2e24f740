// Through the real thing: the agent as a subprocess on a unix socket, the host's runc, a busybox
// rootfs, and the host client from lib/agent-client.
import { afterAll, afterEach, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { isRunmError } from "../lib/errors.ts";
import pkg from "../package.json" with { type: "json" };
import { type AgentHarness, descendants, ociSpec, startAgent, text } from "../test/fixtures/agent-harness.ts";

// Real runc on a shared 2-CPU machine: a container run takes 0.3 s idle, several s under load.
setDefaultTimeout(30_000);

let h: AgentHarness;
let n = 0;
const id = () => `t${process.pid}-${++n}`;

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
  // Between tests: no runc, container process or zombie under the agent.
  await Bun.sleep(50);
  expect(descendants(h.agentPid)).toEqual([]);
});

/** create + start + collect stdout/stderr + wait + delete. */
async function runToEnd(args: string[], opts: Parameters<typeof ociSpec>[1] & { stdin?: string } = {}) {
  const c = id();
  await h.client.create(c, ociSpec(args, opts), {
    rootfs: h.rootfs,
    stdio: { stdin: opts.stdin !== undefined },
  });
  const out = text(h.client.output({ containerId: c }, "stdout"));
  const err = text(h.client.output({ containerId: c }, "stderr"));
  await h.client.start({ containerId: c });
  if (opts.stdin !== undefined) {
    await h.client.writeStdin({ containerId: c }, new TextEncoder().encode(opts.stdin));
    await h.client.closeStdin({ containerId: c });
  }
  const exit = await h.client.wait({ containerId: c });
  const [stdout, stderr] = await Promise.all([out, err]);
  const del = await h.client.delete({ containerId: c });
  expect(del.exitStatus).toBe(exit.exitStatus);
  return { ...exit, stdout, stderr };
}

test("hello reports version, runc and boot timings", async () => {
  const info = await h.client.hello();
  expect(info.version).toBe(pkg.version);
  expect(info.runcVersion).toMatch(/^1\./);
  expect(info.uptimeAtReadyMs).toBeGreaterThanOrEqual(info.uptimeAtStartMs);
  expect(Math.abs(info.guestTime.getTime() - Date.now())).toBeLessThan(5000);
});

test("output and exit 0", async () => {
  const r = await runToEnd(["sh", "-c", "echo hello; echo oops >&2"]);
  expect(r).toMatchObject({ exitStatus: 0, stdout: "hello\n", stderr: "oops\n" });
  expect(Math.abs(r.exitedAt.getTime() - Date.now())).toBeLessThan(5000);
});

test("exit 42 gives 42", async () => {
  expect((await runToEnd(["sh", "-c", "exit 42"])).exitStatus).toBe(42);
});

test("SIGKILL gives 137", async () => {
  const c = id();
  await h.client.create(c, ociSpec(["sleep", "100"]), { rootfs: h.rootfs });
  await h.client.start({ containerId: c });
  await h.client.kill({ containerId: c }, 9);
  expect((await h.client.wait({ containerId: c })).exitStatus).toBe(137);
  expect((await h.client.state({ containerId: c })).status).toBe("stopped");
  // Signalling what has exited is NotFound, as containerd expects.
  expect(isRunmError(await h.client.kill({ containerId: c }, 9, true).catch((e) => e), "NotFound")).toBe(
    true,
  );
  await h.client.delete({ containerId: c });
});

test("stdin piped back through cat", async () => {
  const payload = "line one\nline two\n".repeat(2000);
  const r = await runToEnd(["cat"], { stdin: payload });
  expect(r.exitStatus).toBe(0);
  expect(r.stdout).toBe(payload);
});

test("env and working directory", async () => {
  const r = await runToEnd(["sh", "-c", 'echo "$FOO"; pwd'], { env: ["FOO=bar baz"], cwd: "/tmp" });
  expect(r.stdout).toBe("bar baz\n/tmp\n");
});

test("user 1000:1000", async () => {
  const r = await runToEnd(["sh", "-c", "id -u; id -g; whoami"], { user: { uid: 1000, gid: 1000 } });
  expect(r.stdout).toBe("1000\n1000\nuser\n");
});

test("errors cross the wire as kinds: unknown container is NotFound, bad state is FailedPrecondition", async () => {
  const e1 = await h.client.state({ containerId: "nope" }).catch((e) => e);
  expect(isRunmError(e1, "NotFound")).toBe(true);
  const c = id();
  await h.client.create(c, ociSpec(["true"]), { rootfs: h.rootfs });
  const e2 = await h.client.pause(c).catch((e) => e);
  expect(isRunmError(e2, "FailedPrecondition")).toBe(true);
  expect((e2 as Error).message).toContain("cannot pause container");
  // Deleting a created (never started) container kills its init.
  const d = await h.client.delete({ containerId: c });
  expect(d.exitStatus).toBe(137);
});

test("two containers at once", async () => {
  const [a, b] = await Promise.all([
    runToEnd(["sh", "-c", "sleep 0.3; echo A; exit 3"]),
    runToEnd(["sh", "-c", "sleep 0.1; echo B; exit 4"]),
  ]);
  expect(a).toMatchObject({ stdout: "A\n", exitStatus: 3 });
  expect(b).toMatchObject({ stdout: "B\n", exitStatus: 4 });
});

test("measured: unary round trip and container stdout throughput through the agent", async () => {
  const n = 200;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await h.client.hello();
  const rttMs = (performance.now() - t0) / n;
  const c = id();
  const mib = 256;
  await h.client.create(c, ociSpec(["dd", "if=/dev/zero", "bs=65536", `count=${mib * 16}`]), {
    rootfs: h.rootfs,
  });
  let bytes = 0;
  const reading = (async () => {
    for await (const chunk of h.client.output({ containerId: c })) bytes += chunk.length;
  })();
  const t1 = performance.now();
  await h.client.start({ containerId: c });
  await reading;
  const secs = (performance.now() - t1) / 1000;
  expect((await h.client.wait({ containerId: c })).exitStatus).toBe(0);
  await h.client.delete({ containerId: c });
  console.log(
    `agent unary round trip ${rttMs.toFixed(3)} ms; stdout stream ${(mib / secs).toFixed(0)} MiB/s`,
  );
  expect(bytes).toBe(mib * 1024 * 1024);
  expect(rttMs).toBeLessThan(50); // 1.3-3 ms measured idle, 9-16 ms at load 13; catches a 1 s backoff
}, 60_000);

test("Setup and MountShare: the clock is set, bad input is InvalidArgument, a missing share names the fix", async () => {
  // Entropy is credited only in the guest (the host's pool is not the test's to touch).
  const setup = { entropy: new Uint8Array(0), sandboxId: "t" };
  await h.client.setup({ ...setup, time: new Date() });
  expect(Math.abs((await h.client.hello()).guestTime.getTime() - Date.now())).toBeLessThan(2000);
  const bad = await h.client.setup({ ...setup, time: new Date(5) }).catch((e: unknown) => e);
  expect(isRunmError(bad, "InvalidArgument")).toBe(true);
  const share = { tag: "no-such-tag", target: `${h.dir}/state/share`, readOnly: true };
  const e1 = await h.client.mountShare({ ...share, fstype: "nfs" as "9p" }).catch((e) => e);
  expect(isRunmError(e1, "InvalidArgument")).toBe(true);
  const e2 = await h.client.mountShare({ ...share, fstype: "9p" }).catch((e) => e);
  expect(isRunmError(e2, "FailedPrecondition")).toBe(true);
  expect((e2 as { hint?: string }).hint).toContain("9p share tagged no-such-tag");
  // The agent mounts only inside its own state dir.
  for (const target of ["/etc", `${h.dir}/state/../x`, `${h.dir}/elsewhere`]) {
    const e = await h.client.mountShare({ ...share, fstype: "tmpfs", target }).catch((x: unknown) => x);
    expect(isRunmError(e, "InvalidArgument")).toBe(true);
  }
});

test("ids that would name other paths are refused: '.', '..', slashes", async () => {
  for (const bad of [".", "..", "a/b", "../x", ""]) {
    const e = await h.client.create(bad, ociSpec(["true"]), { rootfs: h.rootfs }).catch((x: unknown) => x);
    expect(isRunmError(e, "InvalidArgument")).toBe(true);
  }
});

test("a second Create with the same id is AlreadyExists and leaves the first intact", async () => {
  const c = id();
  const spec = ociSpec(["sh", "-c", "echo first"]);
  const [a, b] = await Promise.allSettled([
    h.client.create(c, spec, { rootfs: h.rootfs }),
    h.client.create(c, spec, { rootfs: h.rootfs }),
  ]);
  expect([a.status, b.status].sort()).toEqual(["fulfilled", "rejected"]);
  const err = (a.status === "rejected" ? a.reason : (b as PromiseRejectedResult).reason) as Error;
  expect(isRunmError(err, "AlreadyExists")).toBe(true);
  const out = text(h.client.output({ containerId: c }));
  await h.client.start({ containerId: c });
  expect((await h.client.wait({ containerId: c })).exitStatus).toBe(0);
  expect(await out).toBe("first\n");
  await h.client.delete({ containerId: c });
});

test("writing to the stdin of a process that stopped reading is an error, not a crash", async () => {
  const c = id();
  await h.client.create(c, ociSpec(["true"]), { rootfs: h.rootfs, stdio: { stdin: true } });
  await h.client.start({ containerId: c });
  await h.client.wait({ containerId: c });
  const e = await h.client.writeStdin({ containerId: c }, new Uint8Array(100_000)).catch((err) => err);
  expect(isRunmError(e, "FailedPrecondition")).toBe(true);
  expect((await h.client.hello()).version).toBe(pkg.version); // still serving
  await h.client.delete({ containerId: c });
});
