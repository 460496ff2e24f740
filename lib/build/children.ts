// Child processes of a build (make, tar, mksquashfs, bun build), tracked by PID. Each runs in its
// own process group so that stopping it also stops the compilers it started; on SIGINT/SIGTERM
// every tracked group is ended before runm exits.
import { type ChildProcess, spawn } from "node:child_process";

const live = new Set<number>();
let installed = false;

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

function onSignal(signal: NodeJS.Signals): void {
  for (const pid of live) killGroup(pid, "SIGTERM");
  process.exit(signal === "SIGINT" ? 130 : 143);
}

function installOnce(): void {
  if (installed) return;
  installed = true;
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  // A thrown error that ends runm must not orphan a make -j.
  process.once("exit", () => {
    for (const pid of live) killGroup(pid, "SIGKILL");
  });
}

export interface SpawnedChild {
  child: ChildProcess;
  /** Resolves with the exit code (signal deaths map to 128+n). */
  exited: Promise<number>;
}

/** Spawn a tracked child in its own process group; stdout+stderr are piped. */
export function spawnTracked(
  file: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv },
): SpawnedChild {
  installOnce();
  const child = spawn(file, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const pid = child.pid;
  if (pid !== undefined) live.add(pid);
  const exited = new Promise<number>((resolve, reject) => {
    child.once("error", (e) => {
      if (pid !== undefined) live.delete(pid);
      reject(e);
    });
    child.once("close", (code, signal) => {
      if (pid !== undefined) live.delete(pid);
      resolve(code ?? 128 + (signal ? signalNumber(signal) : 0));
    });
  });
  return { child, exited };
}

function signalNumber(s: NodeJS.Signals): number {
  return ({ SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 } as Record<string, number>)[s] ?? 0;
}

/** PIDs of children still running (tests assert this is empty). */
export function liveChildren(): number[] {
  return [...live];
}
