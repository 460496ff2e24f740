// The shim binary's lifecycle as containerd drives it, without a VM: `start` leaves a detached
// server listening and prints its address; the server answers Task calls; after a SIGKILL,
// `delete` cleans up and answers exit status 137.
import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SANDBOX_ANNOTATION } from "../lib/constants.ts";
import { codec } from "../lib/containerd/protos.ts";
import { isRunmError } from "../lib/errors.ts";
import { REPO_ROOT } from "../lib/paths.ts";
import { identify, pidAlive } from "../lib/sys/proc.ts";
import { TtrpcClient } from "../lib/ttrpc/index.ts";
import { writeRecord } from "./bundle-state.ts";

const bundle = mkdtempSync(join(tmpdir(), "runm-bundle-"));
const id = `mgr-${process.pid}`;
const flags = [
  "-namespace",
  "test",
  "-address",
  join(bundle, "nowhere.sock"),
  "-publish-binary",
  "/bin/false",
  "-id",
  id,
];
const shim = (args: string[]) =>
  Bun.spawnSync(["bun", join(REPO_ROOT, "shim/main.ts"), ...flags, ...args], {
    cwd: bundle,
    stdin: "ignore",
  });
afterAll(() => rmSync(bundle, { recursive: true, force: true }));

test("start → serve → SIGKILL → delete", async () => {
  const t0 = performance.now();
  const start = shim(["start"]);
  const startMs = performance.now() - t0;
  expect(start.stderr.toString()).toBe("");
  expect(start.exitCode).toBe(0);
  const address = start.stdout.toString();
  expect(address).toMatch(/^unix:\/\/\/run\/runm\/s\/[0-9a-f]{32}\.sock$/);
  expect(readFileSync(join(bundle, "address"), "utf8")).toBe(address);
  const pid = Number(readFileSync(join(bundle, "shim.pid"), "utf8"));
  expect(pidAlive(pid)).toBe(true);
  // Detached: its own session, so containerd's process group signals do not reach it.
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const sid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[3]);
  expect(sid).toBe(pid);

  const c = await TtrpcClient.connect(address);
  const conn = codec("containerd.task.v2.ConnectResponse").decode(
    await c.call(
      "containerd.task.v2.Task",
      "Connect",
      codec("containerd.task.v2.ConnectRequest").encode({ id }),
    ),
  );
  expect(conn.shimPid).toBe(pid);
  const cp = await c.call("containerd.task.v2.Task", "Checkpoint", new Uint8Array()).catch((e) => e);
  expect(isRunmError(cp, "NotImplemented")).toBe(true);
  const st = await c
    .call("containerd.task.v2.Task", "State", codec("containerd.task.v2.StateRequest").encode({ id }))
    .catch((e) => e);
  expect(isRunmError(st, "NotFound")).toBe(true);
  c.close();

  process.kill(pid, "SIGKILL");
  for (let i = 0; i < 50 && pidAlive(pid); i++) await Bun.sleep(20);
  const del = shim(["-bundle", bundle, "delete"]);
  expect(del.exitCode).toBe(0);
  const r = codec("containerd.task.v2.DeleteResponse").decode(del.stdout);
  expect(r.exitStatus).toBe(137);
  expect(r.exitedAt.seconds).toBeGreaterThan(0);
  expect(existsSync(address.replace("unix://", ""))).toBe(false);
  expect(existsSync(join(bundle, "shim.pid"))).toBe(false);
  console.log(`start took ${Math.round(startMs)} ms`);
});

test("Shutdown makes the server exit and remove its socket", async () => {
  const start = shim(["start"]);
  const address = start.stdout.toString();
  const pid = Number(readFileSync(join(bundle, "shim.pid"), "utf8"));
  const c = await TtrpcClient.connect(address);
  await c.call(
    "containerd.task.v2.Task",
    "Shutdown",
    codec("containerd.task.v2.ShutdownRequest").encode({ id }),
  );
  c.close();
  for (let i = 0; i < 100 && pidAlive(pid); i++) await Bun.sleep(20);
  expect(pidAlive(pid)).toBe(false);
  expect(existsSync(address.replace("unix://", ""))).toBe(false);
});

test("a pod's later container: start answers the pod's running shim, and its delete leaves that shim alone", async () => {
  const podBundle = mkdtempSync(join(tmpdir(), "runm-bundle-pod-"));
  const laterBundle = mkdtempSync(join(tmpdir(), "runm-bundle-later-"));
  const run = (dir: string, cid: string, args: string[]) =>
    Bun.spawnSync(["bun", join(REPO_ROOT, "shim/main.ts"), ...flags.slice(0, -1), cid, ...args], {
      cwd: dir,
      stdin: "ignore",
    });
  const first = `pod-${process.pid}`;
  try {
    const a = run(podBundle, first, ["start"]);
    expect(a.exitCode).toBe(0);
    const address = a.stdout.toString();
    const pid = Number(readFileSync(join(podBundle, "shim.pid"), "utf8"));
    writeFileSync(
      join(laterBundle, "config.json"),
      JSON.stringify({ annotations: { [SANDBOX_ANNOTATION]: first } }),
    );
    const b = run(laterBundle, `later-${process.pid}`, ["start"]);
    expect([b.exitCode, b.stdout.toString()]).toEqual([0, address]); // the same shim
    expect(existsSync(join(laterBundle, "shim.pid"))).toBe(false); // no second one was started
    // What the pod's shim records in a joined container's bundle at Create.
    await writeRecord(laterBundle, {
      shim: identify(pid) ?? { pid, startTime: 0 },
      socket: address.slice(7),
    });
    const del = run(laterBundle, `later-${process.pid}`, ["-bundle", laterBundle, "delete"]);
    expect(del.exitCode).toBe(0);
    expect(pidAlive(pid)).toBe(true);
    expect(existsSync(address.slice(7))).toBe(true);
    expect(existsSync(join(laterBundle, "runm-shim.json"))).toBe(false);
    process.kill(pid, "SIGTERM");
    for (let i = 0; i < 100 && pidAlive(pid); i++) await Bun.sleep(20);
    expect(pidAlive(pid)).toBe(false);
  } finally {
    rmSync(podBundle, { recursive: true, force: true });
    rmSync(laterBundle, { recursive: true, force: true });
  }
});
