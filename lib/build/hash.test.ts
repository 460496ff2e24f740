import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HashMemo, keyOf, sha256, stableJson } from "./hash.ts";

const scratch = mkdtempSync(join(tmpdir(), "runm-hash-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

test("keys ignore object key order but not values", () => {
  expect(stableJson({ b: 1, a: [1, { d: 2, c: 3 }] })).toBe('{"a":[1,{"c":3,"d":2}],"b":1}');
  expect(keyOf({ a: 1, b: 2 })).toBe(keyOf({ b: 2, a: 1 }));
  expect(keyOf({ a: 1 })).not.toBe(keyOf({ a: 2 }));
  expect(keyOf({})).toHaveLength(16);
});

test("file hashes are remembered across runs and redone when the file changes", async () => {
  const f = join(scratch, "f");
  writeFileSync(f, "one");
  const memo = HashMemo.in(scratch);
  expect(await memo.hash(f)).toBe(sha256("one"));
  await memo.save();
  writeFileSync(f, "two");
  utimesSync(f, new Date(2000, 1, 1), new Date(2000, 1, 1));
  expect(await HashMemo.in(scratch).hash(f)).toBe(sha256("two"));
});
