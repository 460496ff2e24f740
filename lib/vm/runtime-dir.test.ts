import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isRunmError } from "../errors.ts";
import { checkVmId, createRuntimeDir, socketDirFor } from "./runtime-dir.ts";

const state = mkdtempSync(join(tmpdir(), "runm-rtd-"));
afterAll(() => rmSync(state, { recursive: true, force: true }));

test("a short dir holds its own sockets; a deep one gets a short /tmp sibling that fits sun_path", () => {
  expect(socketDirFor("/root/.local/state/runm/vms/abc", "abc")).toBe("/root/.local/state/runm/vms/abc");
  const deep = `/${"d".repeat(120)}/vms/run-1234`;
  const s = socketDirFor(deep, "run-1234");
  expect(s.startsWith(tmpdir())).toBe(true);
  expect(`${s}/fs-${"t".repeat(31)}.sock`.length).toBeLessThanOrEqual(107);
});

test("create, replace a stale dir, refuse a live one, remove both dirs", () => {
  const a = createRuntimeDir("vm1", state);
  expect(existsSync(a.dir)).toBe(true);
  writeFileSync(join(a.dir, "vmm.pid"), "999999999"); // no such process: stale
  const b = createRuntimeDir("vm1", state);
  expect(existsSync(join(b.dir, "vmm.pid"))).toBe(false);
  writeFileSync(join(b.dir, "vmm.pid"), String(process.pid)); // alive
  try {
    createRuntimeDir("vm1", state);
    throw new Error("not refused");
  } catch (e) {
    expect(isRunmError(e, "AlreadyExists")).toBe(true);
  }
  b.remove();
  expect(existsSync(b.dir)).toBe(false);
  const deepState = join(state, "x".repeat(90));
  const c = createRuntimeDir("vm2", deepState);
  expect(c.socketDir).not.toBe(c.dir);
  expect(existsSync(c.socketDir)).toBe(true);
  c.remove();
  expect(existsSync(c.socketDir) || existsSync(c.dir)).toBe(false);
});

test("ids are checked", () => {
  for (const bad of ["", "../x", "a/b", "-x", "x".repeat(65)]) expect(() => checkVmId(bad)).toThrow();
  checkVmId("run-0a1b.c_d");
});
