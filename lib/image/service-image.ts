// An image made of Debian packages plus a small layer of runm's own (a start script, a template):
// the offline stand-ins for the official nginx and postgres images.
import { type TarEntry, tarBytes } from "./tar.ts";

export interface ServiceImage {
  /** Debian packages installed on top of minbase (debootstrap --include). */
  packages: string[];
  /** The layer above the Debian one. */
  layer: () => Uint8Array<ArrayBuffer>;
  /** Image env beyond PATH. */
  env: string[];
  cmd: string[];
}

/**
 * A layer of a few files and empty dirs, each parent dir made as a plain 0755 root dir (a tar
 * lists a path's parents before it).
 */
export function smallLayer(
  files: { path: string; mode: number; data: string }[],
  emptyDirs: string[] = [],
): Uint8Array<ArrayBuffer> {
  const dirs = new Set<string>();
  const addParents = (path: string, self: boolean) => {
    const parts = path.split("/");
    for (let i = 1; i <= parts.length - (self ? 0 : 1); i++) dirs.add(parts.slice(0, i).join("/"));
  };
  for (const f of files) addParents(f.path, false);
  for (const d of emptyDirs) addParents(d, true);
  return tarBytes([
    ...[...dirs].sort().map((path): TarEntry => ({ type: "dir", path, mode: 0o755 })),
    ...files.map((f): TarEntry => ({ type: "file", ...f })),
  ]);
}
