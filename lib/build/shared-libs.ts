// The shared libraries a dynamic binary loads, read from `ldd` (glibc's own resolver, so the
// paths are the ones the loader would pick), plus its PT_INTERP loader; for another arch's binary,
// from its ELF headers and a sysroot instead (ldd cannot run it).
import { lstatSync, readlinkSync } from "node:fs";
import { basename, join } from "node:path";
import { failedPrecondition } from "../errors.ts";
import { run } from "../exec.ts";
import { readElf, readElfDynamic } from "./elf.ts";

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

/** A path inside `root` with every symlink followed inside `root` (absolute targets included), or null. */
export function resolveIn(root: string, path: string): string | null {
  let rest = path.split("/").filter(Boolean);
  const done: string[] = [];
  for (let hops = 0; rest.length; ) {
    const part = rest.shift() as string;
    if (part === ".") continue;
    if (part === "..") {
      done.pop();
      continue;
    }
    const here = join(root, ...done, part);
    const st = lstatSync(here, { throwIfNoEntry: false });
    if (!st) return null;
    if (st.isSymbolicLink()) {
      if (++hops > 40) throw failedPrecondition(`${here}: too many levels of symbolic links`);
      const target = readlinkSync(here);
      if (target.startsWith("/")) done.length = 0;
      rest = [...target.split("/").filter(Boolean), ...rest];
      continue;
    }
    done.push(part);
  }
  return join(root, ...done);
}

/**
 * Loader + libraries of a binary for another arch, found in `sysroot` (an unpacked Debian
 * userland, lib/build/guest-sysroot.ts) without running anything: ldd would run the binary's own
 * loader, which cannot run here. DT_NEEDED names are resolved recursively in the dirs glibc's
 * loader searches by default, in its order. Returns image path (no leading /) → real file in the
 * sysroot: each library at lib/<tuple>/<name>, the loader at its PT_INTERP path.
 */
export function sysrootLibs(binary: string, sysroot: string, tuple: string): Map<string, string> {
  const out = new Map<string, string>();
  const elf = readElfDynamic(binary);
  if (!elf?.interp) return out;
  const missing = (what: string) =>
    failedPrecondition(`${what} is not in ${sysroot}`, {
      hint: `remove ${sysroot} to fetch its packages again`,
    });
  const loader = resolveIn(sysroot, elf.interp);
  if (!loader) throw missing(`the loader ${elf.interp} of ${binary}`);
  out.set(elf.interp.replace(/^\/+/, ""), loader);
  // The loader is mapped already: a DT_NEEDED naming it (Bun's does) matches it by soname.
  const seen = new Set([basename(elf.interp)]);
  const dirs = [`lib/${tuple}`, `usr/lib/${tuple}`, "lib", "usr/lib"];
  const queue = [{ file: binary, needed: elf.needed }];
  while (queue.length) {
    const { file, needed } = queue.shift() as { file: string; needed: string[] };
    for (const name of needed) {
      if (seen.has(name)) continue;
      seen.add(name);
      const found = dirs.map((d) => resolveIn(sysroot, `${d}/${name}`)).find((p) => p !== null);
      if (!found) throw missing(`${name} (needed by ${file})`);
      out.set(`lib/${tuple}/${name}`, found);
      queue.push({ file: found, needed: readElfDynamic(found)?.needed ?? [] });
    }
  }
  return out;
}
