// One dev containerd at a time: a lock file holding the owner's PID, created exclusively. A lock
// whose owner is dead is stale and taken over.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { failedPrecondition } from "../errors.ts";

export interface Lock {
  release(): void;
}

export function lockOwner(path: string): number | undefined {
  try {
    const pid = Number(JSON.parse(readFileSync(path, "utf8")).pid);
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined; // no lock, unreadable, or its owner is gone
  }
}

export async function acquireLock(path: string, what: string): Promise<Lock> {
  await mkdir(dirname(path), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      // "wx": fails if the file exists, so two starters cannot both win.
      writeFileSync(path, JSON.stringify({ pid: process.pid, started: new Date().toISOString() }), {
        flag: "wx",
      });
      let held = true;
      return {
        release() {
          if (held) rmSync(path, { force: true });
          held = false;
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const owner = lockOwner(path);
      if (owner !== undefined && owner !== process.pid)
        throw failedPrecondition(`${what} is already running (pid ${owner})`, {
          hint: `use that one (runm dev env prints its address), or stop it with Ctrl-C in its terminal or: kill ${owner}`,
        });
      rmSync(path, { force: true }); // stale
    }
  }
  throw failedPrecondition(`could not take the lock ${path}`, { hint: `remove ${path} and retry` });
}
