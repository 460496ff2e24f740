// Nothing half-written: every artifact and state file is written to a temp name in the same
// directory and renamed into place, so a crash or Ctrl-C leaves either the old file or the new.
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";

let counter = 0;
export function tempSibling(path: string): string {
  counter += 1;
  return join(dirname(path), `.${path.split("/").pop()}.tmp-${process.pid}-${counter}`);
}

export async function writeFileAtomic(path: string, data: string | Uint8Array, mode?: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = tempSibling(path);
  try {
    await writeFile(tmp, data, mode === undefined ? undefined : { mode });
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/**
 * Produce a directory atomically: `fill` writes into a temp dir that is renamed to `path` only
 * when it succeeds; on failure the temp dir is removed.
 */
export async function withAtomicDir<T>(path: string, fill: (tmpDir: string) => Promise<T>): Promise<T> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = tempSibling(path);
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  try {
    const result = await fill(tmp);
    await rm(path, { recursive: true, force: true });
    await rename(tmp, path);
    return result;
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}
