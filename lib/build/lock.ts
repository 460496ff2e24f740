// One builder per cache entry: two `runm build` processes (a test and a user, say) must not run
// make in the same build tree. The lock is a file holding the owner's PID, created with O_EXCL;
// a lock whose owner is dead is taken over, so a killed build never blocks the next one.
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { logger } from "../log.ts";

const log = logger("build");

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function tryLock(path: string): number | null {
  try {
    const fd = openSync(path, "wx");
    writeSync(fd, String(process.pid));
    closeSync(fd);
    return null;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    const owner = Number(readFileSync(path, "utf8").trim());
    if (!owner || !alive(owner)) {
      rmSync(path, { force: true });
      return tryLock(path);
    }
    return owner;
  }
}

export async function withLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  mkdirSync(dirname(path), { recursive: true });
  let announced = false;
  for (;;) {
    const owner = tryLock(path);
    if (owner === null) break;
    if (!announced) log.info(`waiting for another runm build (pid ${owner}) holding ${path}`);
    announced = true;
    await Bun.sleep(500);
  }
  try {
    return await fn();
  } finally {
    rmSync(path, { force: true });
  }
}
