// `bun start OUT_DIR` (or the built dist/main.js): write the 50 records and say so.
import { processFiles } from "./processor.ts";

if (import.meta.main) {
  const out = process.argv[2] ?? "out";
  const names = processFiles(out, 50);
  console.log(`wrote ${names.length} files to ${out}`);
}
