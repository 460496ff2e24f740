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

/** File hashes remembered across runs, keyed by path and invalidated by size/mtime/inode. */
export class HashMemo {
  private memo: Memo;
  private dirty = false;
  constructor(private readonly file: string) {
    this.memo = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Memo) : {};
  }

  static in(cacheDir: string): HashMemo {
    return new HashMemo(join(cacheDir, "build", "file-hashes.json"));
  }

  async hash(path: string): Promise<string> {
    const st = statSync(path);
    const stamp = `${st.size}:${st.mtimeMs}:${st.ino}`;
    const hit = this.memo[path];
    if (hit?.stamp === stamp) return hit.sha256;
    const digest = await sha256File(path);
    this.memo[path] = { stamp, sha256: digest };
    this.dirty = true;
    return digest;
  }

  async save(): Promise<void> {
    if (this.dirty) await writeFileAtomic(this.file, JSON.stringify(this.memo, null, 1));
    this.dirty = false;
  }
}
