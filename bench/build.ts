// Benchmark: how long a no-op `runm build all` takes (everything cached), as the user sees it,
// i.e. the whole CLI process. Reported, not asserted; bench/main.ts collects the numbers.
import { join } from "node:path";
import { REPO_ROOT } from "../lib/paths.ts";

const RUNS = 7;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

function buildAllSeconds(): number {
  const started = performance.now();
  const r = Bun.spawnSync(["bun", join(REPO_ROOT, "cli/main.ts"), "build", "all"], {
    stdout: "pipe",
    stderr: "pipe",
  });
  const seconds = (performance.now() - started) / 1000;
  if (r.exitCode !== 0)
    throw new Error(`runm build all failed: ${r.stderr.toString().trim().split("\n").pop()}`);
  return seconds;
}

export async function benchBuild(): Promise<Record<string, number>> {
  buildAllSeconds(); // warm the cache (builds whatever is missing) and the page cache
  const times = Array.from({ length: RUNS }, buildAllSeconds);
  return {
    "build.noop_all_s.median": Number(median(times).toFixed(3)),
    "build.noop_all_s.min": Number(Math.min(...times).toFixed(3)),
    "build.noop_all_s.max": Number(Math.max(...times).toFixed(3)),
  };
}

if (import.meta.main) console.log(JSON.stringify(await benchBuild(), null, 2));
