// Spawning VMM helpers (QEMU, virtiofsd, vfkit, gvproxy) so they cannot outlive runm. On Linux,
// util-linux `setpriv --pdeathsig SIGKILL` sets PR_SET_PDEATHSIG and then execs the program, so
// the PID we get is the program's own and the kernel kills it if runm dies, even by SIGKILL.
// (PDEATHSIG follows the spawning thread; Bun spawns from its main JS thread, which lives as long
// as the process; guarded-spawn.test.ts proves it with a real SIGKILL.) A runm that dies after the
// fork but before setpriv's prctl would leave the program unguarded, so a shell between setpriv and
// the program checks, once the signal is armed, that its parent is still runm, and gives up if not.
// macOS has no PDEATHSIG: the vfkit driver uses a watchdog instead (vfkit/watchdog.ts).
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import type { Subprocess } from "bun";
import { requireTool } from "../tools.ts";

export interface GuardedSpawnOptions {
  /** "inherit" for an interactive console; otherwise stdin is /dev/null. */
  stdio?: "inherit" | "ignore";
  /** File that receives stdout+stderr (appended). */
  logPath?: string;
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Open fds the program gets as 3, 4, ... (the caller closes its copies). */
  extraFds?: number[];
}

/** Run by sh after the prctl: $0 is runm's pid; exec keeps the pid and the armed signal. */
const PARENT_CHECK = '[ "$PPID" = "$0" ] || exit 1; exec "$@"';

export function guardArgv(
  argv: string[],
  platform: NodeJS.Platform = process.platform,
  parentPid = process.pid,
): string[] {
  if (platform !== "linux") return argv;
  return [
    requireTool("setpriv", "to tie VM processes to runm's lifetime"),
    "--pdeathsig",
    "SIGKILL",
    "--",
    "/bin/sh",
    "-c",
    PARENT_CHECK,
    String(parentPid),
    ...argv,
  ];
}

export function guardedSpawn(argv: string[], opts: GuardedSpawnOptions = {}): Subprocess {
  const out = opts.stdio === "inherit" ? "inherit" : opts.logPath ? Bun.file(opts.logPath) : "ignore";
  return Bun.spawn(guardArgv(argv), {
    stdio: [opts.stdio === "inherit" ? "inherit" : "ignore", out, out, ...(opts.extraFds ?? [])],
    env: opts.env as Record<string, string> | undefined,
    cwd: opts.cwd,
  });
}

/** True if a process with this PID exists (and is not a zombie we could still reap). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return true; // no procfs (macOS): kill(0) said it exists
  }
}

/** SIGTERM, then SIGKILL after graceMs; resolves once the process is gone. */
export async function stopPid(pid: number, graceMs = 2000): Promise<void> {
  const sig = (s: NodeJS.Signals) => {
    try {
      process.kill(pid, s);
    } catch {
      // already gone
    }
  };
  if (!pidAlive(pid)) return;
  sig("SIGTERM");
  const until = Date.now() + graceMs;
  while (pidAlive(pid) && Date.now() < until) await Bun.sleep(10);
  if (pidAlive(pid)) {
    sig("SIGKILL");
    while (pidAlive(pid)) await Bun.sleep(10);
  }
}

/** Write a pidfile atomically (temp + rename), synchronously so no await separates spawn and record. */
export function writePidfile(path: string, pid: number): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, `${pid}\n`);
  renameSync(tmp, path);
}
