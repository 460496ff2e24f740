import { expect, test } from "bun:test";
import { closeSync, copyFileSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RUNTIME_SEALS, sealedCopy, sealsOf } from "./sealed-binary.ts";

test("a sealed copy runs, carries exactly runc's seals, refuses writes, and is made once", () => {
  const dir = mkdtempSync(join(tmpdir(), "runm-sealed-"));
  try {
    const bin = join(dir, "true");
    copyFileSync("/bin/true", bin);
    const exe = sealedCopy(bin);
    expect(exe).toMatch(new RegExp(`^/proc/${process.pid}/fd/\\d+$`));
    expect(sealedCopy(bin)).toBe(exe);
    expect(sealsOf(exe)).toBe(RUNTIME_SEALS);
    expect(sealsOf(bin)).toBe(-1);
    const fd = openSync(exe, "r+");
    try {
      expect(() => writeSync(fd, "x")).toThrow(/EPERM/);
    } finally {
      closeSync(fd);
    }
    expect(Bun.spawnSync([exe]).exitCode).toBe(0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
