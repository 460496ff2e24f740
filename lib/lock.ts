// Exclusive locks with flock(2), for everything runm must do once at a time across processes (a
// cache entry's build, a template's build, the dev containerd). The kernel drops a lock when its
// holder's file is closed, also when the holder is SIGKILLed: there is no stale lock to detect and
// no race between two takers of a dead holder's lock (the pid-file locks this replaces had both).
// The lock file holds the holder's pid only to name it in messages; it is never removed (a waiter
// may have it open).
import { closeSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { errno, libc, PLATFORM, SysError } from "./sys/libc.ts";

const LOCK_EX = 2;
const LOCK_NB = 4;
const LOCK_UN = 8;

export interface FileLock {
  release(): void;
}

/** Take the lock now, or undefined if another open file holds it. */
export function tryLock(path: string): FileLock | undefined {
  mkdirSync(dirname(path), { recursive: true });
  const fd = openSync(path, "a+"); // O_CLOEXEC (libuv): children (a VMM) never inherit it
  if (libc().flock(fd, LOCK_EX | LOCK_NB) !== 0) {
    const e = errno();
    closeSync(fd);
    if (e === PLATFORM.EAGAIN) return undefined;
    throw new SysError(`flock ${path}`, e);
  }
  ftruncateSync(fd, 0);
  writeSync(fd, `${process.pid}\n`);
  let held = true;
  return {
    release() {
      if (!held) return;
      held = false;
      libc().flock(fd, LOCK_UN);
      closeSync(fd);
    },
  };
}

/** The pid recorded by the current holder, or undefined when nobody holds the lock. */
export function lockHolder(path: string): number | undefined {
  const probe = tryLock(path);
  if (probe) {
    probe.release();
    return undefined;
  }
  try {
    return Number(readFileSync(path, "utf8").trim()) || undefined;
  } catch {
    return undefined;
  }
}

/** Wait for the lock (calling `onWait` once with the holder's pid), run `fn`, release. */
export async function withLock<T>(
  path: string,
  fn: () => Promise<T>,
  onWait?: (holder?: number) => void,
): Promise<T> {
  let lock = tryLock(path);
  if (!lock) onWait?.(lockHolder(path));
  // Only while another process holds it; backs off to 250 ms.
  for (let wait = 10; !lock; wait = Math.min(wait * 2, 250)) {
    await Bun.sleep(wait);
    lock = tryLock(path);
  }
  try {
    return await fn();
  } finally {
    lock.release();
  }
}
