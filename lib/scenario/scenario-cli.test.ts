// The framework through the real CLI: a fake scenario dir (RUNM_SCENARIO_DIR) whose second step's
// assertion fails must exit non-zero naming that step, skip the rest, run cleanups and report
// JSON; a passing one exits 0. --with-containerd starts (and stops) a real private containerd.
import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { runm } from "../../test/cli.ts";
import { findProcesses } from "../containerd/teardown.ts";
import { REPO_ROOT } from "../paths.ts";
import { pidAlive } from "../sys/proc.ts";

// Real containerd (and with runm, VMs under TCG): seconds per step.
setDefaultTimeout(120_000);

const dir = mkdtempSync(join(tmpdir(), "runm-fake-scenarios-"));
const marker = join(dir, "cleanup-ran");
const lib = join(REPO_ROOT, "lib/scenario/index.ts");

writeFileSync(
  join(dir, "fake.ts"),
  `import { assertEqual, defineScenario } from ${JSON.stringify(lib)};
import { writeFileSync } from "node:fs";
export default [
  defineScenario({
    id: "fake:fails",
    description: "second step's assertion fails",
    steps: [
      { name: "say hello", async run(ctx) {
          ctx.defer(() => writeFileSync(${JSON.stringify(marker)}, "yes"));
          await ctx.sh(["echo", "hello from step one"]);
      } },
      { name: "check the answer", async run(ctx) {
          const r = await ctx.sh(["sh", "-c", "echo 41"]);
          assertEqual(r.stdout.trim(), "42", "the answer");
      } },
      { name: "never runs", async run() { throw new Error("must be skipped"); } },
    ],
  }),
  defineScenario({
    id: "fake:sleeps",
    description: "a long step, for Ctrl-C",
    steps: [{ name: "sleep", async run(ctx) {
      ctx.defer(() => writeFileSync(${JSON.stringify(marker)}, "interrupted"));
      await ctx.sh(["sleep", "97"]);
    } }],
  }),
  defineScenario({
    id: "fake:passes",
    description: "all good",
    steps: [{ name: "true", async run(ctx) { await ctx.sh(["true"]); } }],
  }),
];
`,
);

// The fake scenarios run no containers: runc's runtime spares them the guest image build.
const RUNC = ["--runtime", "io.containerd.runc.v2"];

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The run's own containerd (named in its output) is gone, and so is its temp dir. */
function expectPrivateContainerdGone(output: string) {
  const m = output.match(/# private containerd pid (\d+) at (\S+)/);
  expect(m).not.toBeNull();
  expect(pidAlive(Number(m?.[1]))).toBe(false);
  expect(existsSync(dirname(m?.[2] ?? "/nonexistent/x"))).toBe(false);
}

const cli = (args: string[]) => runm(["scenario", ...args], { env: { RUNM_SCENARIO_DIR: dir } });

test("a failing assertion exits non-zero naming the failing step; later steps are skipped", async () => {
  const r = await cli(["fake:fails", "--with-containerd", ...RUNC]);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain('fake:fails failed at step "check the answer"');
  expect(r.stderr).toContain('the answer: expected "42", got "41"');
  expect(r.stdout).toContain("  │ hello from step one"); // streamed step output
  expect(r.stdout).toMatch(/check the answer\s+fail\s+\d+\.\d+s/);
  expect(r.stdout).toMatch(/never runs\s+skip/);
  expect(existsSync(marker)).toBe(true);
  expectPrivateContainerdGone(r.stdout);
});

test("--json reports each step; a passing scenario exits 0", async () => {
  rmSync(marker, { force: true });
  const r = await cli(["run", "fake:fails", "fake:passes", "--with-containerd", ...RUNC, "--json"]);
  expect(r.code).toBe(1);
  const j = JSON.parse(r.stdout);
  expect(j.ok).toBe(false);
  expect(j.scenarios.map((s: { id: string; status: string }) => [s.id, s.status])).toEqual([
    ["fake:fails", "fail"],
    ["fake:passes", "pass"],
  ]);
  expect(j.scenarios[0].failedStep).toBe("check the answer");
  expect(j.scenarios[0].steps.map((s: { status: string }) => s.status)).toEqual(["pass", "fail", "skip"]);
  expect(r.stderr).toContain("hello from step one"); // with --json, step output goes to stderr

  const ok = await cli(["fake:passes", "--with-containerd", ...RUNC]);
  expect(ok.code).toBe(0);
  expect(ok.stderr).toContain("1 passed, 0 failed");
});

test("an unknown id lists the known ones; list shows them", async () => {
  const r = await cli(["fake:nope"]);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain("unknown scenario fake:nope; known: fake:fails, fake:passes, fake:sleeps");
  const run = await cli(["run", "fake:nope"]);
  expect(run.code).toBe(1);
  expect(run.stderr).toContain("unknown scenario fake:nope; known: fake:fails, fake:passes, fake:sleeps");
  const list = await cli(["list"]);
  expect(list.stdout).toMatch(/fake:fails\s+3\s+second step's assertion fails/);
});

test("Ctrl-C stops the running step, runs cleanups, stops the private containerd", async () => {
  rmSync(marker, { force: true });
  const p = Bun.spawn(
    ["bun", join(REPO_ROOT, "cli/main.ts"), "scenario", "fake:sleeps", "--with-containerd", ...RUNC],
    {
      env: { ...process.env, RUNM_SCENARIO_DIR: dir },
      stdout: "pipe",
      stderr: "pipe",
    },
  );
  let out = "";
  const reader = (async () => {
    for await (const c of p.stdout) out += new TextDecoder().decode(c);
  })();
  const end = Date.now() + 30_000;
  while (!out.includes("$ sleep 97") && Date.now() < end) await Bun.sleep(50);
  await Bun.sleep(200);
  expect(findProcesses(["sleep 97"]).length).toBe(1);
  p.kill("SIGINT");
  expect(await p.exited).toBe(1);
  await reader;
  expect(out).toMatch(/sleep\s+fail\s+[\d.]+s\s+interrupted/);
  expect(existsSync(marker)).toBe(true);
  expect(findProcesses(["sleep 97"])).toEqual([]);
  expectPrivateContainerdGone(out);
});
