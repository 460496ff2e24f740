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

test("probes are answered from the memo until a file they depend on changes", async () => {
  const f = join(scratch, "tool");
  writeFileSync(f, "v1");
  let calls = 0;
  const ask = (memo: HashMemo) => memo.probe("version tool", [f], async () => `answer ${++calls}`);
  const memo = HashMemo.in(scratch);
  expect(await ask(memo)).toBe("answer 1");
  await memo.save();
  expect(await ask(HashMemo.in(scratch))).toBe("answer 1");
  writeFileSync(f, "v2 longer");
  expect(await ask(HashMemo.in(scratch))).toBe("answer 2");
});
