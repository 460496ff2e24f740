// Writes tar entries out as a directory: the same root filesystem an image layer holds, for
// `runm vm run --rootfs` and the tests, so there is one definition of the busybox rootfs.
import { chmod, chown, mkdir, rm, symlink, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { TarEntry } from "./tar.ts";

export async function writeRootfsDir(entries: TarEntry[], dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  for (const e of entries) {
    const path = join(dir, e.path);
    await mkdir(dirname(path), { recursive: true });
    if (e.type === "dir") await mkdir(path, { recursive: true });
    else if (e.type === "file") await writeFile(path, e.data);
    else {
      await rm(path, { force: true });
      await symlink(e.target, path);
      continue;
    }
    await chmod(path, e.mode);
    await chown(path, e.uid ?? 0, e.gid ?? 0);
  }
  return dir;
}
