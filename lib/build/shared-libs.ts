// The shared libraries a dynamic binary loads, read from `ldd` (glibc's own resolver, so the
// paths are the ones the loader would pick), plus its PT_INTERP loader.
import { run } from "../exec.ts";
import { readElf } from "./elf.ts";

/** Absolute library paths from ldd output; vdso and "statically linked" lines give nothing. */
export function parseLdd(output: string): string[] {
  const libs: string[] = [];
  for (const line of output.split("\n")) {
    const arrow = /=>\s*(\/\S+)/.exec(line);
    const bare = /^\s*(\/\S+)\s+\(0x/.exec(line);
    const path = arrow?.[1] ?? bare?.[1];
    if (path) libs.push(path);
    if (/=>\s*not found/.test(line)) throw new Error(`missing library: ${line.trim()}`);
  }
  return libs;
}

/** Loader + libraries of `binary`, or [] for a static binary. */
export async function sharedLibs(binary: string): Promise<string[]> {
  const elf = readElf(binary);
  if (!elf?.interp) return [];
  const { stdout } = await run("ldd", [binary], { what: `listing the libraries of ${binary}` });
  return [...new Set([elf.interp, ...parseLdd(stdout)])].sort();
}
