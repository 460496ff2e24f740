import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CpioEntry, writeCpio } from "./cpio.ts";

const entries = (): CpioEntry[] => [
  { path: "/init", type: "file", mode: 0o755, data: new TextEncoder().encode("#!/bin/sh\necho hi\n") },
  { path: "bin", type: "dir" },
  { path: "bin/sh", type: "symlink", target: "busybox" },
  { path: "bin/busybox", type: "file", mode: 0o755, data: new Uint8Array([1, 2, 3, 4, 5]) },
  { path: "dev", type: "dir" },
  { path: "dev/console", type: "char", mode: 0o600, major: 5, minor: 1 },
];

describe("newc cpio writer", () => {
  test("GNU cpio reads back every entry with its type, owner and size", () => {
    const dir = mkdtempSync(join(tmpdir(), "runm-cpio-"));
    try {
      const file = join(dir, "a.cpio");
      writeFileSync(file, writeCpio(entries()));
      const r = Bun.spawnSync(["cpio", "-t", "-v", "--numeric-uid-gid", "-F", file], { stderr: "pipe" });
      expect(r.exitCode).toBe(0);
      const lines = r.stdout.toString().trim().split("\n");
      const names = lines.map((l) => l.replace(/^.* Jan\s+1\s+1970 /, ""));
      expect(names).toEqual(["bin", "bin/busybox", "bin/sh -> busybox", "dev", "dev/console", "init"]);
      const byName = (n: string) => lines.find((l) => l.includes(` ${n}`)) ?? "";
      expect(byName("init")).toMatch(/^-rwxr-xr-x\s+1 0\s+0\s+18 /);
      expect(byName("bin/sh")).toMatch(/^lrwxrwxrwx .* bin\/sh -> busybox$/);
      expect(byName("dev/console")).toMatch(/^crw-------\s+1 0\s+0\s+5,\s+1 /);
      expect(byName("bin/busybox")).toMatch(/\s5 Jan\s+1\s+1970 bin\/busybox$/);
      // Extraction yields the same bytes.
      const x = Bun.spawnSync(["cpio", "-i", "-d", "--quiet", "-F", file, "bin/busybox", "init"], {
        cwd: dir,
      });
      expect(x.exitCode).toBe(0);
      expect([...readFileSync(join(dir, "bin/busybox"))]).toEqual([1, 2, 3, 4, 5]);
      expect(readFileSync(join(dir, "init"), "utf8")).toBe("#!/bin/sh\necho hi\n");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("identical bytes whatever the input order", () => {
    const a = writeCpio(entries());
    const b = writeCpio(entries().reverse());
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    expect(a.length % 4).toBe(0);
  });

  test("rejects duplicate and escaping paths", () => {
    expect(() => writeCpio([...entries(), { path: "bin", type: "dir" }])).toThrow(/duplicate/);
    expect(() => writeCpio([{ path: "../x", type: "dir" }])).toThrow(/bad cpio path/);
  });
});
