// Reading the guest console log file that the VMM writes: its tail (for errors) and a watcher that
// reports when given patterns first appear (for readiness and the boot timeline).
import { closeSync, existsSync, openSync, readSync, statSync } from "node:fs";

export function tailLines(path: string, n = 20, maxBytes = 16384): string[] {
  if (!existsSync(path)) return [];
  const size = statSync(path).size;
  const start = Math.max(0, size - maxBytes);
  const buf = Buffer.alloc(size - start);
  const fd = openSync(path, "r");
  try {
    readSync(fd, buf, 0, buf.length, start);
  } finally {
    closeSync(fd);
  }
  return buf
    .toString("utf8")
    .replace(/\r/g, "")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .slice(-n);
}

/**
 * Polls a growing file and calls `onMatch(name, atMs)` the first time each pattern matches.
 * `atMs` is performance.now() at the poll that saw it (resolution: the poll interval).
 */
export class ConsoleWatcher {
  private offset = 0;
  private carry = "";
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly pending: Map<string, RegExp>;

  constructor(
    private readonly path: string,
    patterns: Record<string, RegExp>,
    private readonly onMatch: (name: string, atMs: number) => void,
    private readonly intervalMs = 5,
  ) {
    this.pending = new Map(Object.entries(patterns));
  }

  start(): this {
    this.timer = setInterval(() => this.poll(), this.intervalMs);
    return this;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  poll(): void {
    if (this.pending.size === 0) {
      this.stop();
      return;
    }
    let size: number;
    try {
      size = statSync(this.path).size;
    } catch {
      return;
    }
    if (size <= this.offset) return;
    const buf = Buffer.alloc(size - this.offset);
    const fd = openSync(this.path, "r");
    try {
      readSync(fd, buf, 0, buf.length, this.offset);
    } finally {
      closeSync(fd);
    }
    this.offset = size;
    const now = performance.now();
    // Keep the last partial line so a pattern split across two polls still matches.
    const text = this.carry + buf.toString("utf8");
    const cut = text.lastIndexOf("\n");
    this.carry = cut < 0 ? text : text.slice(cut + 1);
    for (const [name, re] of this.pending) {
      if (re.test(text)) {
        this.pending.delete(name);
        this.onMatch(name, now);
      }
    }
  }
}
