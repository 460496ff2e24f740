import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "../../../lib/paths.ts";

const scratch = mkdtempSync(join(tmpdir(), "runm-build-cli-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function pathWithout(missing: string, tools: string[]): string {
  const bin = join(scratch, `bin-without-${missing}`);
  mkdirSync(bin, { recursive: true });
  for (const t of tools) {
    if (t !== missing) symlinkSync(Bun.which(t) as string, join(bin, t));
  }
  return bin;
}

test("a missing tool is named with the apt package that provides it", () => {
  const cache = join(scratch, "cache");
  const PATH = pathWithout("flex", ["bun", "make", "gcc", "flex", "bison", "bc", "tar", "xz"]);
  const r = Bun.spawnSync(["bun", join(REPO_ROOT, "cli/main.ts"), "build", "kernel"], {
    env: { ...process.env, PATH, RUNM_CACHE_DIR: cache },
    stderr: "pipe",
  });
  expect(r.stderr.toString()).toBe(
    "runm: flex not found on PATH (needed to build the kernel); install it with: apt-get install flex\n",
  );
  expect(r.exitCode).toBe(1);
  // Refused before anything was built or cached.
  expect(existsSync(join(cache, "artifacts"))).toBe(false);
}, 30_000);

test("an unknown --arch is a usage error", () => {
  const r = Bun.spawnSync(["bun", join(REPO_ROOT, "cli/main.ts"), "build", "busybox", "--arch", "mips"], {
    env: { ...process.env, RUNM_CACHE_DIR: join(scratch, "cache2") },
    stderr: "pipe",
  });
  expect(r.stderr.toString()).toContain("runm: unknown --arch mips; use one of: x86_64, arm64");
  expect(r.exitCode).toBe(2);
}, 30_000);
