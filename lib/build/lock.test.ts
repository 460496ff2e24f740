import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { withLock } from "./lock.ts";

const scratch = mkdtempSync(join(tmpdir(), "runm-lock-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

test("holders run one at a time and the lock is released", async () => {
  const lock = join(scratch, "a.lock");
  const order: string[] = [];
  const job = (name: string) =>
    withLock(lock, async () => {
      order.push(`${name}+`);
      await Bun.sleep(50);
      order.push(`${name}-`);
    });
  await Promise.all([job("a"), job("b")]);
  expect(order).toEqual(["a+", "a-", "b+", "b-"]);
  expect(existsSync(lock)).toBe(false);
});

test("a lock left by a dead process is taken over", async () => {
  const lock = join(scratch, "b.lock");
  const dead = Bun.spawnSync(["true"]).pid;
  writeFileSync(lock, String(dead));
  expect(await withLock(lock, async () => "ran")).toBe("ran");
});
