import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mountFs, setWallClock } from "./mount.ts";

const dir = mkdtempSync(join(tmpdir(), "runm-mount-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("mount(2) honours read-only (tmpfs stands in for 9p/virtio-fs, which need a VM)", () => {
  const rw = join(dir, "rw");
  const ro = join(dir, "ro");
  mkdirSync(rw);
  mkdirSync(ro);
  mountFs("tmpfs", "runm-test", rw, false, "size=1m");
  mountFs("tmpfs", "runm-test", ro, true, "size=1m");
  try {
    writeFileSync(join(rw, "f"), "ok");
    expect(() => writeFileSync(join(ro, "f"), "no")).toThrow(/EROFS|read-only/);
    expect(() => mountFs("9p", "no-such-tag", join(dir, "missing"), false)).toThrow(/mount 9p no-such-tag/);
  } finally {
    Bun.spawnSync(["umount", rw]);
    Bun.spawnSync(["umount", ro]);
  }
});

test("clock_settime accepts the current time (the guest sets its clock this way)", () => {
  const before = Date.now();
  setWallClock(Date.now());
  expect(Math.abs(Date.now() - before)).toBeLessThan(1000);
});
