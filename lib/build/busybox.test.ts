import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isRunmError } from "../errors.ts";
import { dirs } from "../paths.ts";
import { buildBusybox, checkBusybox } from "./busybox.ts";
import { readElf } from "./elf.ts";
import { runForeign } from "./foreign-exec.ts";
import { guestSysroot } from "./guest-sysroot.ts";
import { HashMemo } from "./hash.ts";
import { parseLdd, sharedLibs } from "./shared-libs.ts";

const scratch = mkdtempSync(join(tmpdir(), "runm-busybox-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

test("Debian's busybox-static passes: static x86_64 ELF with every applet /init uses", async () => {
  expect(readElf("/bin/busybox")).toEqual({ machine: 62 });
  expect(await checkBusybox("/bin/busybox", "x86_64")).toBeNull();
});

test("a dynamic binary, a wrong-arch build and a non-ELF file are refused with the reason", async () => {
  expect(await checkBusybox("/usr/sbin/runc", "x86_64")).toContain(
    "dynamically linked (loader /lib64/ld-linux-x86-64.so.2)",
  );
  expect(await checkBusybox("/bin/busybox", "arm64")).toContain("is not built for arm64");
  const text = join(scratch, "busybox");
  writeFileSync(text, "#!/bin/sh\n");
  expect(await checkBusybox(text, "x86_64")).toContain("is not a 64-bit ELF");
  const err = await buildBusybox({
    arch: "x86_64",
    cacheDir: scratch,
    memo: HashMemo.in(scratch),
    binary: text,
  }).catch((e) => e);
  expect(isRunmError(err, "FailedPrecondition")).toBe(true);
  expect(err.hint).toContain("busybox-static");
});

test("shared libraries come from ldd plus the ELF loader", async () => {
  expect(
    parseLdd(
      "\tlinux-vdso.so.1 (0x00007ffd)\n\tlibseccomp.so.2 => /lib/x86_64-linux-gnu/libseccomp.so.2 (0x7f)\n\t/lib64/ld-linux-x86-64.so.2 (0x7f)\n",
    ),
  ).toEqual(["/lib/x86_64-linux-gnu/libseccomp.so.2", "/lib64/ld-linux-x86-64.so.2"]);
  expect(() => parseLdd("\tlibfoo.so.1 => not found\n")).toThrow(/missing library/);
  const libs = await sharedLibs("/usr/sbin/runc");
  expect(libs).toContain("/lib64/ld-linux-x86-64.so.2");
  expect(libs.some((l) => l.endsWith("/libseccomp.so.2"))).toBe(true);
  expect(await sharedLibs("/usr/bin/tini-static")).toEqual([]);
});

test("arm64: Debian's arm64 busybox-static is the default, its applets listed under qemu-aarch64", async () => {
  // The package fetch lives in runm's cache (lib/build/guest-sysroot.test.ts); the artifact here.
  const sysroot = await guestSysroot({ arch: "arm64", cacheDir: dirs().cache });
  const bb = await buildBusybox({ arch: "arm64", cacheDir: scratch, memo: HashMemo.in(scratch), sysroot });
  expect(bb.info.source).toBe(join(sysroot, "bin", "busybox"));
  expect(readElf(bb.path)).toEqual({ machine: 183 });
  expect(await checkBusybox(bb.path, "arm64")).toBeNull();
  const { stdout } = await runForeign("arm64", bb.path, ["--list"]);
  expect(stdout.split("\n")).toContain("switch_root");
}, 120_000);
