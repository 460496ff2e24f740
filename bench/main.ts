// `bun run bench`: every speed and memory target, measured as ratios against a baseline taken in
// the same run (runm vs plain runc, runm's boot vs the bare kernel floor), never asserted in tests.
// `bun run bench [build|vm|shim|shares]...` runs a subset; --json prints one JSON object.
import { benchBuild } from "./build.ts";
import { benchShim } from "./shim.ts";
import { benchShares, benchVm } from "./vm.ts";

const SUITES: Record<string, () => Promise<Record<string, number>>> = {
  build: benchBuild,
  vm: () => benchVm(),
  shim: benchShim,
  shares: () => benchShares(),
};
const DEFAULT = ["build", "vm", "shim"];

const args = process.argv.slice(2);
const json = args.includes("--json");
const names = args.filter((a) => !a.startsWith("--"));
const unknown = names.filter((n) => !SUITES[n]);
if (unknown.length) {
  console.error(`bench: unknown suite ${unknown.join(", ")}; known: ${Object.keys(SUITES).join(", ")}`);
  process.exit(2);
}

const results: Record<string, Record<string, number>> = {};
for (const name of names.length ? names : DEFAULT) {
  const started = performance.now();
  if (!json) console.error(`bench: ${name} ...`);
  results[name] = await (SUITES[name] as () => Promise<Record<string, number>>)();
  if (!json) {
    console.log(`\n## ${name} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
    for (const [k, v] of Object.entries(results[name] ?? {})) console.log(`  ${k.padEnd(40)} ${v}`);
  }
}
if (json) console.log(JSON.stringify(results, null, 2));
