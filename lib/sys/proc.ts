// Processes named so that a reused pid is never mistaken for them: a pid plus its start time
// (/proc/PID/stat field 22, clock ticks since boot), read when the process is known to be ours.
// Every signal runm sends to a process it did not just spawn goes through here: if the start time
// differs, the pid now belongs to someone else and is left alone. (Bun's Subprocess.kill already
// refuses a child it has reaped; this covers processes recorded on disk, as the shim's `delete`
// and leftover cleanup need.)
import { readdirSync, readFileSync } from "node:fs";

export interface ProcessIdentity {
  pid: number;
  /** Start time in clock ticks since boot; 0 where there is no procfs (macOS: pid only). */
  startTime: number;
}

function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // "pid (comm) S ppid ...": comm may hold spaces and parens; fields resume after the last ')'.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
}

/** The identity of a live process, or undefined if there is none with this pid. */
export function identify(pid: number): ProcessIdentity | undefined {
  if (process.platform !== "linux") return pidAlive(pid) ? { pid, startTime: 0 } : undefined;
  const f = statFields(pid);
  // Field 22 overall is index 19 after "pid (comm)" are dropped (state is field 3 → index 0).
  return f ? { pid, startTime: Number(f[19]) } : undefined;
}

/** True if a process with this pid exists and is not a zombie. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const f = statFields(pid);
  return f ? f[0] !== "Z" : true; // no procfs (macOS): kill(0) said it exists
}

/** The process is still the one identified (alive, same start time). */
export function stillRunning(id: ProcessIdentity): boolean {
  if (!pidAlive(id.pid)) return false;
  if (id.startTime === 0) return true;
  return identify(id.pid)?.startTime === id.startTime;
}

/** Signal it only if it is still the same process; false if it was gone (or is someone else). */
export function signalVerified(id: ProcessIdentity, sig: NodeJS.Signals): boolean {
  if (!stillRunning(id)) return false;
  try {
    process.kill(id.pid, sig);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM, then SIGKILL after graceMs (0: at once); resolves once it is gone. Verified each time. */
export async function stopVerified(id: ProcessIdentity, graceMs = 2000): Promise<void> {
  if (graceMs > 0 && signalVerified(id, "SIGTERM")) {
    const until = Date.now() + graceMs;
    while (stillRunning(id) && Date.now() < until) await Bun.sleep(10);
  }
  signalVerified(id, "SIGKILL");
  while (stillRunning(id)) await Bun.sleep(10);
}

/**
 * Signal pid only if its command line (arguments joined by spaces) holds every one of `all`: for
 * a process known only by a recorded pid, before its own record exists. Never this process.
 */
export function signalIfCommandLine(pid: number, all: string[], sig: NodeJS.Signals): void {
  if (!pid || pid === process.pid) return;
  let cmd: string;
  try {
    cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
  } catch {
    return; // gone
  }
  if (!all.every((s) => cmd.includes(s))) return;
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** `roots` and every live process below them (from each /proc/PID/stat's parent pid). */
export function withDescendants(roots: number[]): number[] {
  if (process.platform !== "linux") return roots; // no procfs: the roots alone
  const children = new Map<number, number[]>();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    const ppid = Number(statFields(Number(d))?.[1]);
    if (!ppid) continue;
    const list = children.get(ppid) ?? [];
    list.push(Number(d));
    children.set(ppid, list);
  }
  const out: number[] = [];
  const todo = [...roots];
  for (let pid = todo.pop(); pid !== undefined; pid = todo.pop()) {
    if (out.includes(pid)) continue;
    out.push(pid);
    todo.push(...(children.get(pid) ?? []));
  }
  return out;
}
