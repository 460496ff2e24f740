// runm forks against real git: an upstream repository made here, a manifest and series in a temp
// forks root, and the real install / status / sync / export / build code paths (no network).
import { afterAll, beforeEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { execFileSync, spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isRunmError } from "../errors.ts";
import { buildFork } from "./build.ts";
import { forksContext } from "./context.ts";
import { exportFork } from "./export.ts";
import { installFork } from "./install.ts";
import { type ForkSpec, loadManifest, saveManifest, seriesDir } from "./manifest.ts";
import { readSeries } from "./series.ts";
import { forkStatus } from "./status.ts";
import { syncFork } from "./sync.ts";

// Each test runs several git commands (and one a Go build): seconds on a busy 2-core machine.
setDefaultTimeout(60_000);

const TMP = mkdtempSync(join(tmpdir(), "runm-forks-test-"));
const CLI = join(import.meta.dir, "..", "..", "cli", "main.ts");
const IDENT = {
  GIT_AUTHOR_NAME: "t",
  GIT_AUTHOR_EMAIL: "t@example.invalid",
  GIT_COMMITTER_NAME: "t",
  GIT_COMMITTER_EMAIL: "t@example.invalid",
  GIT_EDITOR: "true", // rebase --continue / am --continue must not wait for an editor
};

function sh(cwd: string, ...args: string[]): string {
  return execFileSync("git", args, { cwd, env: { ...process.env, ...IDENT }, encoding: "utf8" }).trim();
}
const write = (dir: string, file: string, text: string) => writeFileSync(join(dir, file), text);
const lines = (n: number, tag = "") =>
  `${Array.from({ length: n }, (_, i) => `line ${i + 1}${tag}`).join("\n")}\n`;
const commitAll = (dir: string, msg: string) => {
  sh(dir, "add", "-A");
  sh(dir, "commit", "-q", "-m", msg);
  return sh(dir, "rev-parse", "HEAD");
};

let n = 0;
interface World {
  up: string;
  root: string;
  forks: string;
  base: string;
  env: Record<string, string>;
}

/** An upstream at tag v1, a series of two patches for it, and a manifest pinning v1. */
function world(): World {
  const w = join(TMP, `w${++n}`);
  const up = join(w, "upstream");
  mkdirSync(up, { recursive: true });
  sh(up, "init", "-q", "-b", "main");
  write(up, "a.txt", lines(20));
  write(up, "c.txt", "unrelated\n");
  const base = commitAll(up, "v1");
  sh(up, "tag", "v1");
  // Author the series in a scratch clone, as a developer would.
  const dev = join(w, "dev");
  sh(w, "clone", "-q", up, dev);
  write(dev, "a.txt", lines(20).replace("line 3\n", "line 3 patched\n"));
  commitAll(dev, "a: patch line 3\n\nThe first change, explained in one paragraph.");
  write(dev, "b.txt", "added by the series\n");
  commitAll(dev, "b: add b.txt\n\nThe second change, explained in one paragraph.");
  const root = join(w, "forks-root");
  mkdirSync(root);
  sh(
    dev,
    "format-patch",
    "-q",
    "--zero-commit",
    "--no-signature",
    "--full-index",
    "-o",
    seriesDir(root, "demo"),
    `${base}..HEAD`,
  );
  const spec: ForkSpec = {
    name: "demo",
    upstream: "https://example.invalid/demo.git",
    base,
    describe: "v1",
    dir: "demo",
    why: "test fork",
    build: { cmd: ["true"], outputs: [] },
  };
  const other: ForkSpec = { ...spec, name: "other", dir: "other" };
  writeFileSync(join(root, "forks.json"), JSON.stringify({ forks: [spec, other] }));
  const forks = join(w, "checkouts");
  return { up, root, forks, base, env: { RUNM_FORKS_ROOT: root, RUNM_FORKS_UPSTREAM_DEMO: up } };
}

function target(wd: World, dir = wd.forks) {
  const ctx = forksContext({ names: ["demo"], dir, env: wd.env });
  return { ctx, t: ctx.targets[0] as NonNullable<(typeof ctx.targets)[0]> };
}

async function install(wd: World, dir = wd.forks) {
  const { t } = target(wd, dir);
  return installFork(t.spec, t.series, t.path, t.url);
}

function cli(wd: World, ...args: string[]) {
  const r = spawnSync("bun", [CLI, "forks", ...args], {
    env: { ...process.env, ...wd.env },
    encoding: "utf8",
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function rejects(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a rejection");
}

let wd: World;
beforeEach(() => {
  wd = world();
});

afterAll(() => {
  rmSync(TMP, { recursive: true, force: true });
  expect(existsSync(TMP)).toBe(false);
});

describe("install", () => {
  test("clones, checks out the pin on branch runm and applies the series", async () => {
    const r = await install(wd);
    const fork = join(wd.forks, "demo");
    expect(r).toMatchObject({
      cloned: true,
      unchanged: false,
      appliedNow: readdirSync(seriesDir(wd.root, "demo")),
    });
    expect(sh(fork, "symbolic-ref", "--short", "HEAD")).toBe("runm");
    expect(sh(fork, "rev-parse", "HEAD~2")).toBe(wd.base);
    expect(readFileSync(join(fork, "a.txt"), "utf8")).toContain("line 3 patched\n");
    expect(readFileSync(join(fork, "b.txt"), "utf8")).toBe("added by the series\n");
    expect(sh(fork, "log", "-1", "--format=%s")).toBe("b: add b.txt");
  });

  test("a second run changes nothing and says so", async () => {
    await install(wd);
    const head = sh(join(wd.forks, "demo"), "rev-parse", "HEAD");
    const r = cli(wd, "install", "demo", "--dir", wd.forks);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("demo: already installed, 2 patch(es) applied; nothing changed");
    expect(sh(join(wd.forks, "demo"), "rev-parse", "HEAD")).toBe(head);
  });

  test("refuses a fork with uncommitted changes and leaves it alone", async () => {
    await install(wd);
    const fork = join(wd.forks, "demo");
    write(fork, "a.txt", "local edit\n");
    const e = await rejects(install(wd));
    expect(isRunmError(e, "FailedPrecondition")).toBe(true);
    expect(e.message).toContain("uncommitted changes");
    expect(readFileSync(join(fork, "a.txt"), "utf8")).toBe("local edit\n");
    const r = cli(wd, "install", "demo", "--dir", wd.forks);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("git -C");
  });

  test("a conflict names the patch and file and leaves git am resolvable", async () => {
    // Upstream rewrote line 3 in v2; pin v2 with the series made for v1.
    write(wd.up, "a.txt", lines(20).replace("line 3\n", "line 3 upstream\n"));
    const v2 = commitAll(wd.up, "v2");
    const m = loadManifest(wd.root);
    (m.forks[0] as ForkSpec).base = v2;
    await saveManifest(wd.root, m);
    const e = await rejects(install(wd));
    expect(e.message).toContain("0001-a-patch-line-3.patch does not apply; conflicts in a.txt");
    expect((e as { hint?: string }).hint).toContain("am --continue");
    const fork = join(wd.forks, "demo");
    expect(existsSync(join(fork, ".git", "rebase-apply"))).toBe(true);
    // A half-done am is refused, not trampled; aborting gets back to the pin.
    expect((await rejects(install(wd))).message).toContain("git am in progress");
    sh(fork, "am", "--abort");
    expect(sh(fork, "rev-parse", "HEAD")).toBe(v2);
  });

  test("after resolving a conflict with git am --continue, install applies the rest", async () => {
    write(wd.up, "a.txt", lines(20).replace("line 3\n", "line 3 upstream\n"));
    const m = loadManifest(wd.root);
    (m.forks[0] as ForkSpec).base = commitAll(wd.up, "v2");
    await saveManifest(wd.root, m);
    await rejects(install(wd));
    const fork = join(wd.forks, "demo");
    write(fork, "a.txt", lines(20).replace("line 3\n", "line 3 upstream patched\n"));
    sh(fork, "add", "a.txt");
    sh(fork, "am", "--continue");
    const r = await install(wd);
    expect(r.appliedNow).toEqual(["0002-b-add-b.txt.patch"]);
    expect(r.modified).toEqual(["0001-a-patch-line-3.patch"]);
    expect(readFileSync(join(fork, "b.txt"), "utf8")).toBe("added by the series\n");
  });

  test("an unreachable upstream or a foreign directory is a clear error", async () => {
    const gone = { ...wd, env: { ...wd.env, RUNM_FORKS_UPSTREAM_DEMO: join(TMP, "no-such-repo") } };
    const e = await rejects(install(gone));
    expect(isRunmError(e, "FailedPrecondition")).toBe(true);
    expect(e.message).toBe(`cannot clone demo from ${join(TMP, "no-such-repo")}`);
    expect((e as { hint?: string }).hint).toContain("RUNM_FORKS_UPSTREAM_<NAME>");
    mkdirSync(join(wd.forks, "demo"), { recursive: true });
    write(join(wd.forks, "demo"), "notes.txt", "mine\n");
    expect((await rejects(install(wd))).message).toContain("exists and is not a git checkout");
    expect(readFileSync(join(wd.forks, "demo", "notes.txt"), "utf8")).toBe("mine\n");
  });

  test("an unknown fork name lists the known ones", () => {
    const r = cli(wd, "install", "dmeo", "--dir", wd.forks);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown fork "dmeo"; did you mean "demo"? known forks: demo, other');
    expect(existsSync(wd.forks)).toBe(false);
  });

  test("--from DIR installs every fork from its mirror there; a missing mirror is named", () => {
    const mirrors = join(TMP, `mirrors${n}`);
    mkdirSync(mirrors);
    sh(TMP, "clone", "-q", "--mirror", wd.up, join(mirrors, "demo.git"));
    const env = { RUNM_FORKS_ROOT: wd.root }; // no per-fork override: --from is what points at DIR
    const run = (...a: string[]) =>
      spawnSync("bun", [CLI, "forks", "install", ...a, "--dir", wd.forks, "--from", mirrors], {
        env: { ...process.env, ...env },
        encoding: "utf8",
      });
    const ok = run("demo");
    expect(ok.stderr).not.toContain("error");
    expect(ok.stdout).toContain("demo: cloned; applied 2 of 2 patch(es)");
    expect(readFileSync(join(wd.forks, "demo", "b.txt"), "utf8")).toBe("added by the series\n");
    const missing = run("other");
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toContain(`no mirror of other in ${mirrors}`);
    expect(existsSync(join(wd.forks, "other"))).toBe(false);
  });

  test("upstream overrides must be URLs with a scheme or absolute paths", () => {
    const bad = cli(wd, "install", "demo", "--dir", wd.forks, "--upstream", "demo=github.com/x/y");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("is not a URL");
    const env = { ...wd.env, RUNM_FORKS_UPSTREAM_DEMO: "relative/path" };
    expect(() => forksContext({ env })).toThrow("is not a URL");
  });
});

describe("status", () => {
  test("reports applied, pending, extra, dirty and whether upstream moved", async () => {
    const { t } = target(wd);
    const before = await forkStatus(t.spec, t.series, t.path, t.url, false);
    expect(before).toMatchObject({ installed: false, pending: t.series.map((p) => p.file) });
    await install(wd);
    const fork = t.path;
    write(fork, "extra.txt", "x\n");
    commitAll(fork, "local extra commit");
    write(fork, "a.txt", "dirty\n");
    const s = await forkStatus(t.spec, t.series, t.path, t.url, false);
    expect(s).toMatchObject({
      installed: true,
      branch: "runm",
      onBase: true,
      pending: [],
      upstreamMoved: false,
    });
    expect(s.applied).toHaveLength(2);
    expect(s.extra.map((c) => c.subject)).toEqual(["local extra commit"]);
    expect(s.dirty).toEqual([" M a.txt"]);
    write(wd.up, "c.txt", "moved\n");
    commitAll(wd.up, "upstream moves");
    const r = cli(wd, "status", "demo", "--json", "--dir", wd.forks);
    expect(r.code).toBe(0);
    const [j] = JSON.parse(r.stdout);
    expect(j).toMatchObject({ name: "demo", upstreamMoved: true, describe: "v1" });
  });
});

describe("sync", () => {
  test("rebases onto a new upstream ref, moves the pin and re-exports", async () => {
    await install(wd);
    write(wd.up, "c.txt", "upstream changed an unrelated file\n");
    const v2 = commitAll(wd.up, "v2");
    sh(wd.up, "tag", "v2");
    const { ctx, t } = target(wd);
    const r = await syncFork({ root: ctx.root, manifest: ctx.manifest, ...t, to: "v2" });
    expect(r).toMatchObject({ from: wd.base, to: v2, describe: "v2", unchanged: false });
    const m = loadManifest(wd.root);
    expect(m.forks[0]).toMatchObject({ base: v2, describe: "v2" });
    expect(m.forks[1]?.base).toBe(wd.base); // other forks untouched
    expect(readSeries(seriesDir(wd.root, "demo"))).toHaveLength(2);
    // The new pin + series install cleanly elsewhere, to the same tree.
    await install(wd, join(wd.forks, "..", "again"));
    const tree = (d: string) => sh(d, "rev-parse", "runm^{tree}");
    expect(tree(join(wd.forks, "..", "again", "demo"))).toBe(tree(t.path));
    expect(sh(t.path, "rev-parse", "runm~2")).toBe(v2);
  });

  test("a conflicting upstream stops with the patch and file named and keeps the pin", async () => {
    await install(wd);
    write(wd.up, "a.txt", lines(20).replace("line 3\n", "line 3 rewritten upstream\n"));
    commitAll(wd.up, "v3");
    const { ctx, t } = target(wd);
    const e = await rejects(syncFork({ root: ctx.root, manifest: ctx.manifest, ...t, to: "main" }));
    expect(isRunmError(e, "FailedPrecondition")).toBe(true);
    expect(e.message).toContain('stopped at "a: patch line 3"; conflicts in a.txt');
    expect((e as { hint?: string }).hint).toContain("rebase --abort");
    expect(loadManifest(wd.root).forks[0]?.base).toBe(wd.base);
    sh(t.path, "rebase", "--abort");
    const s = await forkStatus(t.spec, t.series, t.path, t.url, true);
    expect(s).toMatchObject({ operation: null, onBase: true, pending: [], extra: [] });
  });
});

test("sync: after a conflict resolved with rebase --continue, sync again records the pin", async () => {
  await install(wd);
  write(wd.up, "a.txt", lines(20).replace("line 3\n", "line 3 rewritten upstream\n"));
  const v3 = commitAll(wd.up, "v3");
  const { ctx, t } = target(wd);
  await rejects(syncFork({ root: ctx.root, manifest: ctx.manifest, ...t, to: "main" }));
  write(t.path, "a.txt", lines(20).replace("line 3\n", "line 3 rewritten upstream, patched\n"));
  sh(t.path, "add", "a.txt");
  sh(t.path, "rebase", "--continue");
  const again = target(wd);
  const r = await syncFork({ root: again.ctx.root, manifest: again.ctx.manifest, ...again.t, to: "main" });
  expect(r).toMatchObject({ to: v3, describe: expect.stringMatching(/^v1-1-g/), unchanged: false });
  expect(r.files).toHaveLength(2);
  expect(loadManifest(wd.root).forks[0]?.base).toBe(v3);
  expect(readSeries(seriesDir(wd.root, "demo"))[0]?.text).toContain("+line 3 rewritten upstream, patched");
  const fresh = target(wd).t;
  expect(await forkStatus(fresh.spec, fresh.series, fresh.path, fresh.url, true)).toMatchObject({
    onBase: true,
    modified: [],
    pending: [],
    extra: [],
  });
});

describe("export", () => {
  test("round trip: edit the fork with git, export, install elsewhere gives the same tree", async () => {
    await install(wd);
    const fork = join(wd.forks, "demo");
    write(fork, "d.txt", "a third change\n");
    commitAll(fork, "d: add d.txt\n\nA change made in the fork with plain git.");
    const { t } = target(wd);
    const files = await exportFork(t.spec, t.path, seriesDir(wd.root, "demo"));
    expect(files).toHaveLength(3);
    expect(files[2]).toBe("0003-d-add-d.txt.patch");
    const second = join(wd.forks, "..", "second");
    const r = await install(wd, second);
    expect(r.appliedNow).toHaveLength(3);
    expect(sh(join(second, "demo"), "rev-parse", "runm^{tree}")).toBe(sh(fork, "rev-parse", "runm^{tree}"));
    // And the first checkout already matches the new series.
    expect((await install(wd)).unchanged).toBe(true);
  });

  test("refuses to export a dirty fork", async () => {
    await install(wd);
    write(join(wd.forks, "demo"), "a.txt", "uncommitted\n");
    const { t } = target(wd);
    const e = await rejects(exportFork(t.spec, t.path, seriesDir(wd.root, "demo")));
    expect(e.message).toContain("uncommitted changes");
    expect(readSeries(seriesDir(wd.root, "demo"))).toHaveLength(2);
  });
});

describe("build", () => {
  /** A Go module as a fork: go.mod at `goVersion`, a main package, and any extra files. */
  const goFork = (goVersion: string, files: Record<string, string> = {}, goMod = "") => {
    const dir = join(wd.forks, "demo");
    mkdirSync(dir, { recursive: true });
    sh(dir, "init", "-q");
    write(dir, "go.mod", `module example.invalid/demo\n\ngo ${goVersion}\n${goMod}`);
    write(
      dir,
      "main.go",
      'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("built by runm forks") }\n',
    );
    for (const [f, text] of Object.entries(files)) {
      mkdirSync(join(dir, f, ".."), { recursive: true });
      write(dir, f, text);
    }
    const spec: ForkSpec = {
      ...(loadManifest(wd.root).forks[0] as ForkSpec),
      build: { cmd: ["go", "build", "-o", "{out}/demo", "."], outputs: ["demo"] },
    };
    return { dir, spec };
  };
  /** A series whose one patch touches these files (only its diff headers matter here). */
  const touching = (...files: string[]) =>
    [{ file: "0001-x.patch", path: "", index: 1, subject: "x", author: "t", body: "x" }].map((p) => ({
      ...p,
      text: files.map((f) => `diff --git a/${f} b/${f}\n`).join(""),
    }));

  test("builds with the host Go and produces the outputs", async () => {
    const { dir, spec } = goFork("1.19");
    const outDir = join(wd.forks, "out");
    const r = await buildFork({ spec, series: [], path: dir }, outDir);
    expect(r.outputs).toEqual([join(outDir, "demo")]);
    expect(r.toolchain.source).toBe("the host's");
    expect(execFileSync(join(outDir, "demo"), { encoding: "utf8" })).toBe("built by runm forks\n");
    expect(sh(dir, "status", "--porcelain", "--ignored")).not.toContain("demo"); // the fork stays clean
  });

  test("a Go older than go.mod asks for is a clear error", async () => {
    const { dir, spec } = goFork("1.99.0");
    const outDir = join(wd.forks, "out");
    const e = await rejects(buildFork({ spec, series: [], path: dir }, outDir));
    expect(isRunmError(e, "FailedPrecondition")).toBe(true);
    expect(e.message).toContain("Go 1.99.0 or newer is needed");
    expect(existsSync(outDir)).toBe(false);
  });

  // The real toolchain path: the host's Go 1.19 is too old, so Debian sid's Go is fetched into
  // the cache; the module's one requirement comes from its vendor dir with no proxy.
  test("a fork newer than the host's Go builds offline with Debian sid's from its vendor dir, and its patched packages compile for darwin", async () => {
    const dep = 'package dep\n\nfunc Word() string { return "vendored" }\n';
    const files = {
      "vendor/modules.txt": "# example.invalid/dep v0.1.0\n## explicit; go 1.21\nexample.invalid/dep\n",
      "vendor/example.invalid/dep/dep.go": dep,
      "plat/plat_darwin.go": 'package plat\n\nimport "example.invalid/dep"\n\nvar Name = dep.Word()\n',
      "plat/plat_linux.go": 'package plat\n\nvar Name = "linux"\n',
      "lin/lin_linux.go": "package lin\n",
    };
    const { dir, spec } = goFork("1.27", files, "\nrequire example.invalid/dep v0.1.0\n");
    const outDir = join(wd.forks, "out");
    const series = touching("plat/plat_darwin.go", "lin/lin_linux.go", "plat/plat_test.go", "README.md");
    const r = await buildFork({ spec, series, path: dir }, outDir);
    expect(r.toolchain.source).toBe("Debian sid's");
    expect(r.toolchain.version).toStartWith("go1.27.");
    expect(execFileSync(join(outDir, "demo"), { encoding: "utf8" })).toBe("built by runm forks\n");
    expect(r.darwinChecked).toEqual(["./plat"]); // lin has no file for darwin

    // A darwin-only error (the host's build never compiles that file) fails the build, named.
    write(dir, "plat/plat_darwin.go", "package plat\n\nvar Name = undefinedOnDarwin\n");
    const e = await rejects(buildFork({ spec, series, path: dir }, outDir));
    expect(e.message).toContain("./plat for darwin/arm64");
    expect(JSON.stringify((e as { details?: string[] }).details)).toContain("undefinedOnDarwin");
  }, 300_000);

  test("runm forks build reports a fork it cannot build on its own line and still builds the rest", async () => {
    await install(wd); // demo only; "other" is not installed
    const r = cli(wd, "build", "--dir", wd.forks, "--out", join(wd.forks, "out"));
    expect(r.stdout).toContain("demo: built (library; compiled only) with the host's go1.");
    expect(r.stderr).toContain(`other: not built: fork other is not installed at ${join(wd.forks, "other")}`);
    expect(r.stderr).toContain("1 of 2 forks not built: other");
    expect(r.code).not.toBe(0);
  });

  test("a fork that requires modules it does not vendor is reported with the command that works with a proxy", async () => {
    const { dir, spec } = goFork("1.19", {}, "\nrequire example.invalid/dep v0.1.0\n");
    const e = await rejects(buildFork({ spec, series: [], path: dir }, join(wd.forks, "out")));
    expect(isRunmError(e, "FailedPrecondition")).toBe(true);
    expect(e.message).toContain("does not vendor the Go modules it requires");
    expect((e as { hint?: string }).hint).toContain(
      `GOPROXY=https://proxy.golang.org,direct runm forks build ${spec.name}`,
    );
  });
});
