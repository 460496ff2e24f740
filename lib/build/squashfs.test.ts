import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildBusybox } from "./busybox.ts";
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
