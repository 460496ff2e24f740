// The process-wide cleanup registry. Everything that owns a host process or a runtime dir (every
// Vm) registers here; the entries run on SIGINT, SIGTERM and SIGHUP (then the process exits
// 128+signal) and, in their synchronous form, on process exit. A SIGKILLed runm cannot run
// anything: the VMM's parent-death signal (guarded-spawn.ts) covers that case.
import { logger } from "../log.ts";

const log = logger("cleanup");

export interface CleanupEntry {
  name: string;
  /** Full teardown (may wait for processes to exit). */
  run: () => Promise<void>;
  /** Best effort without awaiting: kill by PID, remove dirs with the sync fs calls. */
  runSync: () => void;
}

const entries = new Set<CleanupEntry>();
const SIGNALS = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;
let installed = false;
let signalled = false;

function install(): void {
  if (installed) return;
  installed = true;
  for (const [sig, code] of Object.entries(SIGNALS)) {
    process.on(sig, () => {
      if (signalled) return;
      signalled = true;
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

export async function runAllCleanups(): Promise<void> {
  await Promise.allSettled([...entries].map((e) => e.run()));
}

export function pendingCleanups(): string[] {
  return [...entries].map((e) => e.name);
}
