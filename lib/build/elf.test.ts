// The ELF reader against real binaries and binutils' own reading of them (readelf -d), and the
// sysroot library resolution built on it against glibc's (ldd), on this host's x86_64 binaries.
import { expect, test } from "bun:test";
import { realpathSync } from "node:fs";
import { basename } from "node:path";
import { readElf, readElfDynamic } from "./elf.ts";
import { sharedLibs, sysrootLibs } from "./shared-libs.ts";

/** DT_NEEDED as binutils reads it. */
function readelfNeeded(path: string): string[] {
  const r = Bun.spawnSync(["readelf", "-d", path]);
  if (r.exitCode !== 0) throw new Error(`readelf -d ${path}: ${r.stderr}`);
  return [...r.stdout.toString().matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map(
    (m) => m[1] as string,
  );
}

test("DT_NEEDED and PT_INTERP of dynamic host binaries match readelf", () => {
  for (const bin of ["/usr/sbin/runc", "/usr/bin/crun", process.execPath]) {
    const elf = readElfDynamic(bin);
    expect(elf?.machine).toBe(62);
    expect(elf?.interp).toBe("/lib64/ld-linux-x86-64.so.2");
    expect(elf?.needed).toEqual(readelfNeeded(bin));
  }
  expect(readElfDynamic("/usr/sbin/runc")?.needed).toEqual(["libseccomp.so.2", "libc.so.6"]);
});

test("a static binary has no loader and needs nothing; a non-ELF file is null", () => {
  expect(readElfDynamic("/bin/busybox")).toEqual({ machine: 62, needed: [] });
  expect(readElf("/bin/busybox")).toEqual({ machine: 62 });
  expect(readElfDynamic("/etc/os-release")).toBeNull();
});

test("resolving DT_NEEDED in / finds what ldd finds, at the same real files", async () => {
  for (const bin of ["/usr/sbin/runc", "/usr/bin/crun"]) {
    const fromElf = sysrootLibs(bin, "/", "x86_64-linux-gnu");
    const fromLdd = await sharedLibs(bin);
    // The same names (ldd prints the loader by its PT_INTERP path, a library by its dir + name).
    expect([...fromElf.keys()].map((p) => basename(p)).sort()).toEqual(
      fromLdd.map((p) => basename(p)).sort(),
    );
    // ... and the same files behind the symlinks.
    expect([...fromElf.values()].sort()).toEqual(fromLdd.map((p) => realpathSync(p)).sort());
    expect(fromElf.get("lib64/ld-linux-x86-64.so.2")).toBe(realpathSync("/lib64/ld-linux-x86-64.so.2"));
  }
  expect(sysrootLibs("/bin/busybox", "/", "x86_64-linux-gnu").size).toBe(0);
});
