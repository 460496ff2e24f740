// The boot timeline: each phase of a `runm vm run` stamped in ms since the VM launch began.
import { logger } from "../log.ts";

const log = logger("vm");
export const PHASES = [
  "launch", // VMM process spawned
  "init", // kernel handed over to /init (console shows "Run /init")
  "ready", // readiness check passed (agent answered, or the marker appeared)
  "created", // container created by runc
  "started", // container started
  "firstOutput", // first byte of container output reached the host
  "exit", // container exited
] as const;
export type Phase = (typeof PHASES)[number];

export class BootTimeline {
  readonly t0 = performance.now();
  readonly marks = new Map<Phase, number>();

  mark(phase: Phase, at = performance.now()): void {
    // Microsecond resolution: (t0 + 10) - t0 is 9.999999999 in floating point, not 10.
    if (this.marks.has(phase)) return;
    const ms = Math.round((at - this.t0) * 1000) / 1000;
    this.marks.set(phase, ms);
    log.debug(`${phase} at ${ms.toFixed(0)} ms`); // with --debug, where a stuck start stopped
  }

  get(phase: Phase): number | undefined {
    return this.marks.get(phase);
  }

  /** One line per phase reached: name, ms since launch, ms since the previous phase. */
  format(): string {
    const lines: string[] = [];
    let prev = 0;
    for (const p of PHASES) {
      const t = this.marks.get(p);
      if (t === undefined) continue;
      lines.push(`${p.padEnd(12)} ${t.toFixed(0).padStart(6)} ms  (+${(t - prev).toFixed(0)})`);
      prev = t;
    }
    return lines.join("\n");
  }

  toJSON(): Record<string, number> {
    return Object.fromEntries(this.marks);
  }
}
