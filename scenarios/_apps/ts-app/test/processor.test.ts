import { expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { processFiles } from "../src/processor.ts";

test("writes one JSON record per id", () => {
  const dir = mkdtempSync(join(tmpdir(), "records-"));
  expect(processFiles(dir, 5)).toHaveLength(5);
  expect(readdirSync(dir).sort()).toEqual([1, 2, 3, 4, 5].map((i) => `record-0${i}.json`));
  expect(JSON.parse(readFileSync(join(dir, "record-03.json"), "utf8"))).toEqual({
    id: 3,
    sumOfSquares: 14,
    mean: 14 / 3,
  });
});
