import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { lockHolder, tryLock, withLock } from "./lock.ts";

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
  expect(lockHolder(lock)).toBeUndefined();
});

test("a lock held by another process names it; its SIGKILL frees the lock at once", async () => {
  const lock = join(scratch, "b.lock");
  const holder = Bun.spawn(
    [
      "bun",
      "-e",
      `const { tryLock } = require(${JSON.stringify(`${import.meta.dir}/lock.ts`)}); tryLock(${JSON.stringify(lock)}); console.log("held"); setInterval(() => {}, 1000);`,
    ],
    { stdout: "pipe" },
  );
  const reader = holder.stdout.getReader();
  await reader.read(); // "held"
  expect(tryLock(lock)).toBeUndefined();
  expect(lockHolder(lock)).toBe(holder.pid);
  holder.kill("SIGKILL");
  await holder.exited;
  const mine = tryLock(lock);
  expect(mine).toBeDefined();
  mine?.release();
});
