// `runm dev containerd` through the real CLI and a real containerd: prints its env, refuses a
// second instance, runs a container (runc), and after SIGINT leaves no process or runtime dir.
import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findProcesses } from "../containerd/teardown.ts";
import { lockHolder } from "../lock.ts";
import { REPO_ROOT } from "../paths.ts";
import { pidAlive } from "../sys/proc.ts";
import { devLayout } from "./layout.ts";

// Real containerd (and with runm, VMs under TCG): seconds per step.
setDefaultTimeout(120_000);

const state = await mkdtemp(join(tmpdir(), "runm-dev-test-"));
const cache = await mkdtemp(join(tmpdir(), "runm-dev-cache-"));
const env = { ...process.env, RUNM_STATE_DIR: state, RUNM_CACHE_DIR: cache, NO_COLOR: "1" };
const layout = devLayout(state);
const cli = (args: string[]) =>
  Bun.spawn(["bun", join(REPO_ROOT, "cli/main.ts"), ...args], { env, stdout: "pipe", stderr: "pipe" });

afterAll(async () => {
  await rm(state, { recursive: true, force: true });
  await rm(cache, { recursive: true, force: true });
});

async function waitFor(cond: () => boolean | Promise<boolean>, ms: number, what: string) {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(100);
  }
}

test("dev containerd: env, lock, a container, and SIGINT leaves nothing behind", async () => {
  const dev = cli(["dev", "containerd", "--no-build"]);
  let out = "";
  const reader = (async () => {
    for await (const chunk of dev.stdout) out += new TextDecoder().decode(chunk);
  })();
  let errText = "";
  const errReader = (async () => {
    for await (const chunk of dev.stderr) errText += new TextDecoder().decode(chunk);
  })();
  await waitFor(() => out.includes("CONTAINERD_ADDRESS="), 30_000, "the dev env banner");
  expect(out).toContain(`export CONTAINERD_ADDRESS=${layout.address}`);
  expect(out).toContain("export RUNM_RUNTIME=io.containerd.runm.v2");

  const envCmd = cli(["dev", "env"]);
  expect(await envCmd.exited).toBe(0);
  expect(await new Response(envCmd.stdout).text()).toContain(`CONTAINERD_ADDRESS=${layout.address}`);

  const second = cli(["dev", "containerd", "--no-build"]);
  expect(await second.exited).toBe(1);
  expect(await new Response(second.stderr).text()).toContain(`already running (pid ${dev.pid})`);

  // A detached runc container: its shim must be gone after Ctrl-C too.
  const img = cli(["image", "build", "busybox"]);
  expect(await img.exited).toBe(0);
  const run = Bun.spawn(
    [
      "ctr",
      "--address",
      layout.address,
      "run",
      "-d",
      "localhost/runm/busybox:latest",
      "dev-test",
      "sleep",
      "300",
    ],
    { stderr: "pipe" },
  );
  expect(await run.exited).toBe(0);
  const shims = findProcesses([layout.address]);
  expect(shims.length).toBeGreaterThan(0);
  const ctdPid = findProcesses([layout.config]);
  expect(ctdPid.length).toBe(1);

  dev.kill("SIGINT");
  expect(await dev.exited).toBe(0);
  await reader;
  await errReader;
  expect(errText).toContain("containerd");
  expect(errText).toContain("SIGINT: stopping containerd");
  expect(findProcesses([layout.dir])).toEqual([]);
  for (const pid of [...shims, ...ctdPid]) expect(pidAlive(pid)).toBe(false);
  expect(existsSync(layout.state)).toBe(false);
  expect(existsSync(layout.address)).toBe(false);
  expect(lockHolder(layout.lock)).toBeUndefined(); // released (flock: the file itself stays)
  expect(existsSync(layout.root)).toBe(true); // images survive without --clean

  const after = cli(["dev", "env"]);
  expect(await after.exited).toBe(1);
});

test("dev containerd --clean wipes its state on exit", async () => {
  const dev = cli(["dev", "containerd", "--clean", "--no-build"]);
  let out = "";
  const reader = (async () => {
    for await (const chunk of dev.stdout) out += new TextDecoder().decode(chunk);
  })();
  await waitFor(() => out.includes("CONTAINERD_ADDRESS="), 30_000, "the dev env banner");
  dev.kill("SIGINT");
  expect(await dev.exited).toBe(0);
  await reader;
  expect(existsSync(layout.root)).toBe(false);
  expect(findProcesses([layout.dir])).toEqual([]);
});
