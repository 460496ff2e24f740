// Writes `count` JSON files into `outDir`, each describing one number, and returns their names.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { divide, sumOfSquares } from "./calculator.ts";

export interface Record {
  id: number;
  sumOfSquares: number;
  mean: number;
}

export function processFiles(outDir: string, count: number): string[] {
  mkdirSync(outDir, { recursive: true });
  const names: string[] = [];
  for (let id = 1; id <= count; id++) {
    const s = sumOfSquares(id);
    const record: Record = { id, sumOfSquares: s, mean: divide(s, id) };
    const name = `record-${String(id).padStart(2, "0")}.json`;
    writeFileSync(join(outDir, name), `${JSON.stringify(record)}\n`);
    names.push(name);
  }
  return names;
}
