// Content addressing: an artifact's cache key is the hash of everything that went into it.
// Hashing a 130 MB kernel tarball on every `runm build all` would break the "no-op build is
// instant" promise, so file hashes are memoized by (path, size, mtime, inode).
import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../fs-atomic.ts";

export function sha256(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** A short, stable key for any JSON-able description of an artifact's inputs. */
export function keyOf(inputs: unknown): string {
  return sha256(stableJson(inputs)).slice(0, 16);
}

/** JSON with object keys sorted, so key order in code never changes a hash. */
export function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(",")}]`;
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .filter((k) => o[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v);
}

/** sha256 of a file's bytes, streamed (tarballs do not fit comfortably in memory twice). */
export async function sha256File(path: string): Promise<string> {
  const h = createHash("sha256");
  const reader = Bun.file(path).stream().getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    h.update(value);
  }
  return h.digest("hex");
}

type Memo = Record<string, { stamp: string; sha256: string }>;
type Probes = Record<string, { stamp: string; value: unknown }>;

function stampOf(path: string): string {
  const st = statSync(path);
  return `${st.size}:${st.mtimeMs}:${st.ino}`;
}

/** File hashes remembered across runs, keyed by path and invalidated by size/mtime/inode. */
export class HashMemo {
  private memo: Memo;
  private probes: Probes;
  private dirty = false;
  constructor(private readonly file: string) {
    const saved = existsSync(file)
      ? (JSON.parse(readFileSync(file, "utf8")) as { files?: Memo; probes?: Probes })
      : {};
    this.memo = saved.files ?? {};
    this.probes = saved.probes ?? {};
  }

  static in(cacheDir: string): HashMemo {
    return new HashMemo(join(cacheDir, "build", "file-hashes.json"));
  }

  /**
   * The result of a question about some files (`ldd X`, `gcc --version`), remembered until one of
   * them changes. Keeps spawns off the no-op build path.
   */
  async probe<T>(name: string, files: string[], compute: () => Promise<T>): Promise<T> {
    const stamp = files.map(stampOf).join("|");
    const hit = this.probes[name];
    if (hit?.stamp === stamp) return hit.value as T;
    const value = await compute();
    this.probes[name] = { stamp, value };
    this.dirty = true;
    return value;
  }

  async hash(path: string): Promise<string> {
    const stamp = stampOf(path);
    const hit = this.memo[path];
    if (hit?.stamp === stamp) return hit.sha256;
    const digest = await sha256File(path);
    this.memo[path] = { stamp, sha256: digest };
    this.dirty = true;
    return digest;
  }

  async save(): Promise<void> {
    if (this.dirty)
      await writeFileAtomic(this.file, JSON.stringify({ files: this.memo, probes: this.probes }, null, 1));
    this.dirty = false;
  }
}
