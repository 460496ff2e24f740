import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dirs } from "../paths.ts";
import { buildBusybox } from "./busybox.ts";
import { ELF_MACHINE, readElf } from "./elf.ts";
import { foreignExec } from "./foreign-exec.ts";
import { guestSysroot } from "./guest-sysroot.ts";
import { HashMemo } from "./hash.ts";
import { buildSquashfs } from "./squashfs.ts";

const cacheDir = mkdtempSync(join(tmpdir(), "runm-squashfs-"));
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

describe("mbin squashfs", () => {
  test("holds runc with its libraries and loader, tini and busybox; same bytes on a rebuild", async () => {
    const memo = HashMemo.in(cacheDir);
    const busybox = await buildBusybox({ arch: "x86_64", cacheDir, memo });
    // The agent is another artifact (agent.ts); leaving it out keeps this test about the image.
    const a = await buildSquashfs({ arch: "x86_64", cacheDir, memo, busybox, agent: null });
    const first = readFileSync(a.path);
    const b = await buildSquashfs({ arch: "x86_64", cacheDir, memo, busybox, agent: null, force: true });
    expect(b.status).toBe("built");
    expect(Buffer.compare(first, readFileSync(b.path))).toBe(0);

    const r = Bun.spawnSync(["unsquashfs", "-lls", "-d", "", a.path], { stderr: "pipe" });
    expect(r.exitCode).toBe(0);
    const lines = r.stdout.toString().split("\n");
    const entry = (p: string) => lines.find((l) => l.endsWith(` ${p}`) || l.includes(` ${p} -> `)) ?? "";
    for (const p of ["/bin/runc", "/bin/tini", "/bin/busybox", "/lib64/ld-linux-x86-64.so.2"]) {
      expect(entry(p)).toMatch(/^-rwxr-xr-x root\/root/);
    }
    expect(entry("/lib/x86_64-linux-gnu/libseccomp.so.2")).toMatch(/^-rwxr-xr-x root\/root/);
    expect(entry("/lib/x86_64-linux-gnu/libc.so.6")).not.toBe("");
    expect(entry("/bin/sh")).toMatch(/^lrwxrwxrwx root\/root .* \/bin\/sh -> busybox$/);
    // mkfs and file times are zeroed (reproducible).
    expect(entry("/bin/runc")).toContain("1970-01-01 00:00");
    expect(lines.some((l) => l.includes("runm-agent"))).toBe(false);
  }, 60_000);
});

describe("mbin squashfs for arm64 on this x86_64 host", () => {
  test("Debian's arm64 runc, crun, tini with their libraries at the aarch64 loader's paths; runc runs", async () => {
    const memo = HashMemo.in(cacheDir);
    // The package fetch lives in runm's cache (lib/build/guest-sysroot.test.ts); the artifacts here.
    const sysroot = await guestSysroot({ arch: "arm64", cacheDir: dirs().cache });
    const busybox = await buildBusybox({ arch: "arm64", cacheDir, memo, sysroot });
    const a = await buildSquashfs({ arch: "arm64", cacheDir, memo, busybox, agent: null, sysroot });

    const r = Bun.spawnSync(["unsquashfs", "-lls", "-d", "", a.path], { stderr: "pipe" });
    expect(r.exitCode).toBe(0);
    const lines = r.stdout.toString().split("\n");
    const entry = (p: string) => lines.find((l) => l.endsWith(` ${p}`) || l.includes(` ${p} -> `)) ?? "";
    for (const p of [
      "/bin/runc",
      "/bin/crun",
      "/bin/tini",
      "/bin/busybox",
      "/lib/ld-linux-aarch64.so.1",
      "/lib/aarch64-linux-gnu/libseccomp.so.2",
      "/lib/aarch64-linux-gnu/libc.so.6",
    ]) {
      expect(entry(p)).toMatch(/^-rwxr-xr-x root\/root/);
    }
    expect(entry("/bin/sh")).toMatch(/ \/bin\/sh -> busybox$/);
    expect(lines.some((l) => l.includes("x86_64"))).toBe(false);

    // The image alone is enough: its runc finds loader and libraries inside it.
    const root = join(cacheDir, "mbin-arm64");
    const x = Bun.spawnSync(["unsquashfs", "-q", "-d", root, a.path], { stderr: "pipe" });
    expect(x.exitCode).toBe(0);
    expect(readElf(join(root, "bin/runc"))?.machine).toBe(ELF_MACHINE.arm64);
    const v = Bun.spawnSync([
      ...foreignExec("arm64", { sysroot: root }),
      join(root, "bin/runc"),
      "--version",
    ]);
    expect(v.stdout.toString()).toStartWith("runc version ");
    expect(v.exitCode).toBe(0);
  }, 120_000);
});
