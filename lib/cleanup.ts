// The one process-wide cleanup and signal registry: nothing else in runm listens for SIGINT,
// SIGTERM or SIGHUP, so no handler pre-empts another. Everything that owns a host process or a
// runtime dir (every Vm, a build's compilers, the shim's server) registers a cleanup entry; the
// entries run on those signals (then the process exits 128+signal) and, in their synchronous form,
// on process exit. A long-running command that stops gracefully on Ctrl-C (runm dev containerd, a
// scenario session) registers an interrupt handler instead: the first signal is handed to it, and
// it finishes and exits on its own; a second signal runs the cleanups and exits regardless. A
// SIGKILLed runm cannot run anything: the VMM's parent-death signal (vm/guarded-spawn.ts) covers
// that case.
import { logger } from "./log.ts";

const log = logger("cleanup");

export interface CleanupEntry {
  name: string;
  /** Full teardown (may wait for processes to exit). */
  run: () => Promise<void>;
  /** Best effort without awaiting: kill by PID, remove dirs with the sync fs calls. */
  runSync: () => void;
}

const entries = new Set<CleanupEntry>();
const interruptHandlers = new Set<(sig: NodeJS.Signals) => void>();
const SIGNALS = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;
let installed = false;
let signals = 0;

function install(): void {
  if (installed) return;
  installed = true;
  for (const [sig, code] of Object.entries(SIGNALS)) {
    process.on(sig, () => {
      signals += 1;
      if (signals === 1 && interruptHandlers.size) {
        for (const h of interruptHandlers) h(sig as NodeJS.Signals);
        return;
      }
      if (signals > 1 && !interruptHandlers.size) return; // already tearing down
      log.debug(`${sig}: tearing down ${entries.size} resource(s)`);
      const deadline = new Promise((r) => setTimeout(r, 5000));
      Promise.race([runAllCleanups(), deadline]).finally(() => process.exit(code));
    });
  }
  process.on("exit", () => {
    for (const e of entries) {
      try {
        e.runSync();
      } catch {
        // exiting anyway
      }
    }
  });
}

/** Register a teardown; returns the function that unregisters it (call it once torn down). */
export function registerCleanup(entry: CleanupEntry): () => void {
  install();
  entries.add(entry);
  return () => {
    entries.delete(entry);
  };
}

/**
 * Take over the first SIGINT/SIGTERM/SIGHUP: `handler` stops what it runs and lets the process
 * end (the registry's cleanups still run at exit). Returns the function that hands it back.
 */
export function onInterrupt(handler: (sig: NodeJS.Signals) => void): () => void {
  install();
  interruptHandlers.add(handler);
  return () => {
    interruptHandlers.delete(handler);
  };
}

export async function runAllCleanups(): Promise<void> {
  await Promise.allSettled([...entries].map((e) => e.run()));
}

export function pendingCleanups(): string[] {
  return [...entries].map((e) => e.name);
}
