// The project's own checks run with the suite: the strict typecheck and Biome's lint + format.
import { expect, test } from "bun:test";
import { join } from "node:path";

const ROOT = join(import.meta.dir, "..");
const bin = (name: string) => join(ROOT, "node_modules", ".bin", name);

test("tsc --noEmit (strict) finds no type errors", () => {
  const r = Bun.spawnSync([bin("tsc"), "--noEmit", "-p", ROOT], { cwd: ROOT });
  expect(r.stdout.toString()).toBe("");
  expect(r.exitCode).toBe(0);
}, 300_000);

test("biome ci finds no lint or format errors", () => {
  const r = Bun.spawnSync([bin("biome"), "ci", "--colors=off", "."], { cwd: ROOT });
  const out = r.stdout.toString() + r.stderr.toString();
  expect(out).not.toMatch(/Found \d+ errors?/);
  expect(r.exitCode).toBe(0);
}, 120_000);
