// Child processes of a build (make, tar, mksquashfs, bun build), tracked by PID. Each runs in its
// own process group so that stopping it also stops the compilers it started; on SIGINT/SIGTERM
// (through the one cleanup registry) and at exit every tracked group is ended.
import { type ChildProcess, spawn } from "node:child_process";
import { registerCleanup } from "../cleanup.ts";

const live = new Set<number>();
let installed = false;

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

function installOnce(): void {
  if (installed) return;
  installed = true;
  // A signal, or a thrown error that ends runm, must not orphan a make -j.
  registerCleanup({
    name: "build children",
    run: async () => {
      for (const pid of live) killGroup(pid, "SIGTERM");
    },
    runSync: () => {
      for (const pid of live) killGroup(pid, "SIGKILL");
    },
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
