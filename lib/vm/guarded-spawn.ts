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
import { identify, type ProcessIdentity } from "../sys/proc.ts";
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

/**
 * Write a pidfile atomically (temp + rename), synchronously so no await separates spawn and
 * record: "PID STARTTIME", so a reader can tell the process from a later one with the same pid.
 */
export function writePidfile(path: string, pid: number): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, `${pid} ${identify(pid)?.startTime ?? 0}\n`);
  renameSync(tmp, path);
}

/** A pidfile's process identity, or undefined (missing, unreadable). */
export function readPidfile(path: string): ProcessIdentity | undefined {
  try {
    const [pid, start] = readFileSync(path, "utf8").trim().split(/\s+/);
    const n = Number(pid);
    return n > 0 ? { pid: n, startTime: Number(start ?? 0) } : undefined;
  } catch {
    return undefined;
  }
}
