// `bun run bench`: every speed and memory target, measured as ratios against a baseline taken in
// the same run (runm vs plain runc, runm's boot vs the bare kernel floor, an idle container vs a
// bare idle guest), never asserted in tests. `bun run bench [build|vm|idle|tty|shim|shares]...`
// runs a subset; --json prints one JSON object (save it to compare later); --compare OLD.json
// prints each promise's old and new value and says which got worse (bench/spec.ts).
import { readFileSync } from "node:fs";
import { benchBuild } from "./build.ts";
import { benchShim } from "./shim.ts";
import { keeps, PROMISES } from "./spec.ts";
import { benchIdle, benchShares, benchTty, benchVm } from "./vm.ts";

const SUITES: Record<string, () => Promise<Record<string, number>>> = {
  build: benchBuild,
  vm: () => benchVm(),
  idle: () => benchIdle(),
  tty: () => benchTty(),
  shim: benchShim,
  shares: () => benchShares(),
};
const DEFAULT = ["build", "vm", "idle", "tty", "shim"];
/** A change is worse when a key moves the wrong way by more than this (run-to-run noise). */
const TOLERANCE = 0.1;

const args = process.argv.slice(2);
const json = args.includes("--json");
const ci = args.indexOf("--compare");
const comparePath = ci >= 0 ? args[ci + 1] : undefined;
if (ci >= 0 && !comparePath) {
  console.error("bench: --compare needs a file: the --json output of an earlier run");
  process.exit(2);
}
const names = args.filter((a, i) => !a.startsWith("--") && (ci < 0 || i !== ci + 1));
const unknown = names.filter((n) => !SUITES[n]);
if (unknown.length) {
  console.error(`bench: unknown suite ${unknown.join(", ")}; known: ${Object.keys(SUITES).join(", ")}`);
  process.exit(2);
}

let old: Record<string, number> = {};
if (comparePath) {
  try {
    const raw = JSON.parse(readFileSync(comparePath, "utf8")) as Record<string, Record<string, number>>;
    old = Object.assign({}, ...Object.values(raw));
  } catch (e) {
    console.error(
      `bench: cannot read ${comparePath} (${(e as Error).message}); save one with: bun run bench --json > FILE`,
    );
    process.exit(2);
  }
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

const now: Record<string, number> = Object.assign({}, ...Object.values(results));
const rows = PROMISES.filter((p) => now[p.key] !== undefined);
if (!json && rows.length) {
  console.log("\n## promises (docs/SPECIFICATION.md)");
  let worse = 0;
  for (const p of rows) {
    const v = now[p.key] as number;
    const was = old[p.key];
    const bound = p.bound === undefined ? "" : `${p.better === "lower" ? "≤" : "≥"} ${p.bound}`;
    let change = "";
    if (was !== undefined && was !== 0) {
      const rel = (v - was) / Math.abs(was);
      const bad = p.better === "lower" ? rel > TOLERANCE : rel < -TOLERANCE;
      if (bad) worse += 1;
      change = `  was ${was} (${rel >= 0 ? "+" : ""}${(rel * 100).toFixed(0)}%)${bad ? " WORSE" : ""}`;
    }
    console.log(
      `  ${keeps(p, v) ? "kept  " : "MISSED"} ${p.key.padEnd(38)} ${String(v).padStart(9)} ${bound.padEnd(8)}${change}`,
    );
  }
  if (comparePath) {
    console.log(
      worse ? `\n${worse} promise(s) got worse than ${comparePath}` : `\nnone got worse than ${comparePath}`,
    );
    process.exitCode = worse ? 1 : 0;
  }
}
