// A newc ("070701") cpio writer, the format the kernel unpacks as an initramfs. Output depends on
// the entries only: they are sorted by path, owned by root, with mtime 0 and inode numbers given
// in order, so the same inputs always give the same bytes.

export type CpioEntry =
  | { path: string; type: "dir"; mode?: number }
  | { path: string; type: "file"; mode?: number; data: Uint8Array }
  | { path: string; type: "symlink"; target: string }
  | { path: string; type: "char" | "block"; mode?: number; major: number; minor: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;

const hex8 = (n: number) => n.toString(16).padStart(8, "0");
const pad4 = (n: number) => (4 - (n % 4)) % 4;
const enc = new TextEncoder();

interface Header {
  ino: number;
  mode: number;
  nlink: number;
  size: number;
  rdevMajor: number;
  rdevMinor: number;
  name: string;
}

function header(h: Header): Uint8Array {
  const name = enc.encode(`${h.name}\0`);
  const fields = [
    h.ino,
    h.mode,
    0 /* uid */,
    0 /* gid */,
    h.nlink,
    0 /* mtime */,
    h.size,
    0,
    0 /* dev major/minor */,
    h.rdevMajor,
    h.rdevMinor,
    name.length,
    0 /* check */,
  ];
  const head = enc.encode(`070701${fields.map(hex8).join("")}`);
  const out = new Uint8Array(head.length + name.length + pad4(head.length + name.length));
  out.set(head, 0);
  out.set(name, head.length);
  return out;
}

function normalize(path: string): string {
  const p = path.replace(/^\/+/, "").replace(/\/+$/, "");
  if (!p || p.split("/").some((s) => s === ".." || s === ".")) throw new Error(`bad cpio path: ${path}`);
  return p;
}

/** The whole archive, trailer included. Paths must be unique; parents are not implied. */
export function writeCpio(entries: CpioEntry[]): Uint8Array {
  const sorted = entries
    .map((e) => ({ ...e, path: normalize(e.path) }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const chunks: Uint8Array[] = [];
  let ino = 0;
  let last = "";
  for (const e of sorted) {
    if (e.path === last) throw new Error(`duplicate cpio path: ${e.path}`);
    last = e.path;
    ino += 1;
    let mode: number;
    let data: Uint8Array = new Uint8Array(0);
    let rdevMajor = 0;
    let rdevMinor = 0;
    switch (e.type) {
      case "dir":
        mode = S_IFDIR | (e.mode ?? 0o755);
        break;
      case "file":
        mode = S_IFREG | (e.mode ?? 0o644);
        data = e.data;
        break;
      case "symlink":
        mode = S_IFLNK | 0o777;
        data = enc.encode(e.target);
        break;
      default:
        mode = (e.type === "char" ? S_IFCHR : S_IFBLK) | (e.mode ?? 0o600);
        rdevMajor = e.major;
        rdevMinor = e.minor;
    }
    const nlink = e.type === "dir" ? 2 : 1;
    chunks.push(header({ ino, mode, nlink, size: data.length, rdevMajor, rdevMinor, name: e.path }));
    if (data.length) {
      chunks.push(data);
      chunks.push(new Uint8Array(pad4(data.length)));
    }
  }
  chunks.push(header({ ino: 0, mode: 0, nlink: 1, size: 0, rdevMajor: 0, rdevMinor: 0, name: "TRAILER!!!" }));
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}
