// Just enough ELF reading to tell a static binary from a dynamic one, which machine it is for,
// and which dynamic loader it asks for (PT_INTERP), without trusting `file` or `ldd` output.
import { closeSync, openSync, readSync } from "node:fs";
import type { GuestArch } from "../constants.ts";

const PT_INTERP = 3;
export const ELF_MACHINE: Record<GuestArch, number> = { x86_64: 62, arm64: 183 };

export interface ElfInfo {
  machine: number;
  /** The dynamic loader path, absent for a static binary. */
  interp?: string;
}

function readAt(fd: number, offset: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  const n = readSync(fd, buf, 0, length, offset);
  return buf.subarray(0, n);
}

/** null when the file is not a 64-bit little-endian ELF. */
export function readElf(path: string): ElfInfo | null {
  const fd = openSync(path, "r");
  try {
    const h = readAt(fd, 0, 64);
    if (h.length < 64 || h.readUInt32BE(0) !== 0x7f454c46 || h[4] !== 2 || h[5] !== 1) return null;
    const machine = h.readUInt16LE(18);
    const phoff = Number(h.readBigUInt64LE(32));
    const phentsize = h.readUInt16LE(54);
    const phnum = h.readUInt16LE(56);
    const table = readAt(fd, phoff, phentsize * phnum);
    for (let i = 0; i < phnum; i++) {
      const p = table.subarray(i * phentsize, (i + 1) * phentsize);
      if (p.readUInt32LE(0) !== PT_INTERP) continue;
      const off = Number(p.readBigUInt64LE(8));
      const size = Number(p.readBigUInt64LE(32));
      const interp = readAt(fd, off, size).toString("utf8").replace(/\0+$/, "");
      return { machine, interp };
    }
    return { machine };
  } finally {
    closeSync(fd);
  }
}
