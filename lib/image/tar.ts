// A small deterministic tar (ustar) writer: entries in, bytes out. Used for image layers and the
// OCI layout archive, where identical inputs must give identical bytes (fixed mtime, no user
// names, entries in the order given).
import { invalidArgument } from "../errors.ts";

export type TarEntry =
  | { type: "dir"; path: string; mode: number; uid?: number; gid?: number }
  | { type: "file"; path: string; mode: number; data: Uint8Array | string; uid?: number; gid?: number }
  | { type: "symlink"; path: string; target: string; uid?: number; gid?: number };

const BLOCK = 512;
const enc = new TextEncoder();

function octal(n: number, width: number): string {
  return `${n.toString(8).padStart(width - 1, "0")}\0`;
}

/** Split a path into ustar's name (≤100) and prefix (≤155) fields. */
function splitName(path: string): [string, string] {
  if (enc.encode(path).length <= 100) return [path, ""];
  for (let i = path.lastIndexOf("/"); i > 0; i = path.lastIndexOf("/", i - 1)) {
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (enc.encode(name).length <= 100 && enc.encode(prefix).length <= 155) return [name, prefix];
  }
  throw invalidArgument(`tar: path too long for ustar: ${path}`);
}

function header(e: TarEntry, size: number): Uint8Array {
  const h = new Uint8Array(BLOCK);
  const put = (s: string, off: number, len: number) => h.set(enc.encode(s).subarray(0, len), off);
  const path = e.type === "dir" && !e.path.endsWith("/") ? `${e.path}/` : e.path;
  const [name, prefix] = splitName(path);
  put(name, 0, 100);
  put(octal(e.type === "symlink" ? 0o777 : e.mode, 8), 100, 8);
  put(octal(e.uid ?? 0, 8), 108, 8);
  put(octal(e.gid ?? 0, 8), 116, 8);
  put(octal(size, 12), 124, 12);
  put(octal(0, 12), 136, 12); // mtime: the epoch, for reproducible digests
  put("        ", 148, 8); // checksum placeholder
  put(e.type === "dir" ? "5" : e.type === "symlink" ? "2" : "0", 156, 1);
  if (e.type === "symlink") put(e.target, 157, 100);
  put("ustar\0", 257, 6);
  put("00", 263, 2);
  put(prefix, 345, 155);
  let sum = 0;
  for (const b of h) sum += b;
  put(`${sum.toString(8).padStart(6, "0")}\0 `, 148, 8);
  return h;
}

export function tarBytes(entries: TarEntry[]): Uint8Array<ArrayBuffer> {
  const parts: Uint8Array[] = [];
  let total = 0;
  for (const e of entries) {
    if (e.type === "symlink" && enc.encode(e.target).length > 100)
      throw invalidArgument(`tar: symlink target too long: ${e.target}`);
    const data = e.type === "file" ? (typeof e.data === "string" ? enc.encode(e.data) : e.data) : undefined;
    const h = header(e, data?.length ?? 0);
    parts.push(h);
    total += BLOCK;
    if (data) {
      const padded = Math.ceil(data.length / BLOCK) * BLOCK;
      const body = new Uint8Array(padded);
      body.set(data);
      parts.push(body);
      total += padded;
    }
  }
  total += 2 * BLOCK; // end-of-archive marker
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
