// Small helpers every bench suite shares.
import { readFileSync } from "node:fs";
import { descendants } from "../test/fixtures/agent-harness.ts";

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

export const round = (x: number, digits = 2): number => Number(x.toFixed(digits));

/** CPU time (user + system) of a process so far, in seconds; 0 if it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / 100; // utime + stime, in USER_HZ (100)
  } catch {
    return 0;
  }
}

/** Proportional set size of a process (shared pages split among their mappers), in MiB. */
export function pssMiB(pid: number): number {
  try {
    const m = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8").match(/^Pss:\s+(\d+) kB/m);
    return Number(m?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

/**
 * `pids` and every process below them: a VM's host pid is its jail's, and QEMU runs as a child in
 * the jail's own PID namespace, whose CPU time the jail's own /proc/PID/stat never shows.
 */
export function withDescendants(pids: number[]): number[] {
  return pids.flatMap((p) => [p, ...descendants(p).map((d) => d.pid)]);
}

/** The share of a core a process used over `ms` (1 = one core busy). */
export async function cpuShare(pids: () => number[], ms: number): Promise<number> {
  const sum = () => pids().reduce((a, p) => a + cpuSeconds(p), 0);
  const a = sum();
  await Bun.sleep(ms);
  return (sum() - a) / (ms / 1000);
}
