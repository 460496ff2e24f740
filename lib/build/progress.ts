// A progress line for long builds. The total is learned: each successful build records how many
// step lines it printed, and the next build of the same kind measures against that.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../fs-atomic.ts";
import { logger } from "../log.ts";

const log = logger("build");

// Kbuild's quiet-mode step lines: "  CC      kernel/fork.o", "  LD      vmlinux".
const STEP = /^ {2}[A-Z][A-Z0-9_]{1,10} +\S/;

export class Progress {
  private steps = 0;
  private lastPct = -1;
  private readonly start = performance.now();
  private readonly tty = Boolean(process.stderr.isTTY);

  constructor(
    private readonly label: string,
    private readonly expected: number,
  ) {}

  private lastLogged = -10;

  /** Feed one line of build output. */
  line(text: string): void {
    if (!STEP.test(text)) return;
    this.steps += 1;
    const pct = Math.min(99, Math.floor((this.steps / Math.max(1, this.expected)) * 100));
    if (pct === this.lastPct) return;
    this.lastPct = pct;
    if (this.tty) this.render(pct);
    else if (pct >= this.lastLogged + 10) {
      this.lastLogged = pct;
      log.info(`${this.label}: ${pct}% (${this.steps} steps, ${this.elapsed()})`);
    }
  }

  get count(): number {
    return this.steps;
  }

  finish(): void {
    if (this.tty) process.stderr.write("\r\x1b[2K");
  }

  private render(pct: number): void {
    const width = 30;
    const full = Math.round((pct / 100) * width);
    const bar = `${"#".repeat(full)}${"-".repeat(width - full)}`;
    process.stderr.write(`\r\x1b[2K[${bar}] ${String(pct).padStart(2)}% ${this.label} ${this.elapsed()}`);
  }

  private elapsed(): string {
    const s = Math.round((performance.now() - this.start) / 1000);
    return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  }
}

/** Step count of the last successful build of `kind`, or a fallback. */
export function expectedSteps(cacheDir: string, kind: string, fallback: number): number {
  const f = join(cacheDir, "build", "steps.json");
  if (!existsSync(f)) return fallback;
  const all = JSON.parse(readFileSync(f, "utf8")) as Record<string, number>;
  return all[kind] ?? fallback;
}

export async function recordSteps(cacheDir: string, kind: string, steps: number): Promise<void> {
  const f = join(cacheDir, "build", "steps.json");
  const all = existsSync(f) ? (JSON.parse(readFileSync(f, "utf8")) as Record<string, number>) : {};
  all[kind] = steps;
  await writeFileAtomic(f, JSON.stringify(all, null, 1));
}
