// Just enough ELF reading to tell a static binary from a dynamic one, which machine it is for,
// which dynamic loader it asks for (PT_INTERP) and which libraries it names (DT_NEEDED), without
// trusting `file` or `ldd` output: ldd runs the binary's own loader, which cannot run for another
// arch, so a foreign guest's libraries are resolved from these names (lib/build/shared-libs.ts).
import { closeSync, openSync, readSync } from "node:fs";
import type { GuestArch } from "../constants.ts";

const PT_LOAD = 1;
const PT_DYNAMIC = 2;
const PT_INTERP = 3;
const DT_NULL = 0n;
const DT_NEEDED = 1n;
const DT_STRTAB = 5n;
const DT_STRSZ = 10n;
export const ELF_MACHINE: Record<GuestArch, number> = { x86_64: 62, arm64: 183 };

export interface ElfInfo {
  machine: number;
  /** The dynamic loader path, absent for a static binary. */
  interp?: string;
}

export interface ElfDynamic extends ElfInfo {
  /** DT_NEEDED sonames in the order the binary lists them ([] for a static binary). */
  needed: string[];
}

interface Phdr {
  type: number;
  offset: number;
  vaddr: number;
  filesz: number;
}

function readAt(fd: number, offset: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  const n = readSync(fd, buf, 0, length, offset);
  return buf.subarray(0, n);
}

/** Machine and program headers, or null when the file is not a 64-bit little-endian ELF. */
function readHeaders(fd: number): { machine: number; phdrs: Phdr[] } | null {
  const h = readAt(fd, 0, 64);
  if (h.length < 64 || h.readUInt32BE(0) !== 0x7f454c46 || h[4] !== 2 || h[5] !== 1) return null;
  const phoff = Number(h.readBigUInt64LE(32));
  const phentsize = h.readUInt16LE(54);
  const phnum = h.readUInt16LE(56);
  const table = readAt(fd, phoff, phentsize * phnum);
  const phdrs: Phdr[] = [];
  for (let i = 0; i < phnum && (i + 1) * phentsize <= table.length; i++) {
    const p = table.subarray(i * phentsize, (i + 1) * phentsize);
    phdrs.push({
      type: p.readUInt32LE(0),
      offset: Number(p.readBigUInt64LE(8)),
      vaddr: Number(p.readBigUInt64LE(16)),
      filesz: Number(p.readBigUInt64LE(32)),
    });
  }
  return { machine: h.readUInt16LE(18), phdrs };
}

function interpOf(fd: number, phdrs: Phdr[]): string | undefined {
  const p = phdrs.find((x) => x.type === PT_INTERP);
  return p && readAt(fd, p.offset, p.filesz).toString("utf8").replace(/\0+$/, "");
}

/** The machine, and the loader when there is one (no `interp` key for a static binary). */
function infoOf(fd: number, h: { machine: number; phdrs: Phdr[] }): ElfInfo {
  const interp = interpOf(fd, h.phdrs);
  return interp === undefined ? { machine: h.machine } : { machine: h.machine, interp };
}

/** null when the file is not a 64-bit little-endian ELF. */
export function readElf(path: string): ElfInfo | null {
  const fd = openSync(path, "r");
  try {
    const h = readHeaders(fd);
    return h && infoOf(fd, h);
  } finally {
    closeSync(fd);
  }
}

/**
 * readElf plus the DT_NEEDED names. The dynamic section gives DT_STRTAB as a virtual address,
 * mapped back to a file offset through the PT_LOAD segment that contains it.
 */
export function readElfDynamic(path: string): ElfDynamic | null {
  const fd = openSync(path, "r");
  try {
    const h = readHeaders(fd);
    if (!h) return null;
    const base = infoOf(fd, h);
    const dyn = h.phdrs.find((p) => p.type === PT_DYNAMIC);
    if (!dyn) return { ...base, needed: [] };
    const table = readAt(fd, dyn.offset, dyn.filesz);
    const neededOffsets: number[] = [];
    let strtab: number | undefined;
    let strsz: number | undefined;
    for (let at = 0; at + 16 <= table.length; at += 16) {
      const tag = table.readBigInt64LE(at);
      const val = table.readBigUInt64LE(at + 8);
      if (tag === DT_NULL) break;
      if (tag === DT_NEEDED) neededOffsets.push(Number(val));
      else if (tag === DT_STRTAB) strtab = Number(val);
      else if (tag === DT_STRSZ) strsz = Number(val);
    }
    if (!neededOffsets.length) return { ...base, needed: [] };
    if (strtab === undefined || strsz === undefined)
      throw new Error(`${path}: DT_NEEDED without a string table`);
    const vaddr = strtab;
    const seg = h.phdrs.find((p) => p.type === PT_LOAD && vaddr >= p.vaddr && vaddr < p.vaddr + p.filesz);
    if (!seg) throw new Error(`${path}: the string table's address is in no PT_LOAD segment`);
    const strings = readAt(fd, seg.offset + (vaddr - seg.vaddr), strsz);
    const needed = neededOffsets.map((o) => {
      const end = strings.indexOf(0, o);
      return strings.toString("utf8", o, end < 0 ? strings.length : end);
    });
    return { ...base, needed };
  } finally {
    closeSync(fd);
  }
}
