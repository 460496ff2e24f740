import { expect, test } from "bun:test";
import { foreignExec } from "./foreign-exec.ts";

test("the host's arch runs directly, another through qemu-user", () => {
  expect(foreignExec("x86_64", { host: "x86_64" })).toEqual([]);
  expect(foreignExec("arm64", { host: "arm64" })).toEqual([]);
  expect(foreignExec("arm64", { host: "x86_64" })).toEqual([expect.stringMatching(/\/qemu-aarch64$/)]);
  expect(foreignExec("arm64", { host: "x86_64", sysroot: "/sr" }).slice(1)).toEqual(["-L", "/sr"]);
});

test("a missing qemu-user is one line naming the package", () => {
  const saved = process.env.PATH;
  process.env.PATH = "/nonexistent";
  try {
    expect(() => foreignExec("arm64", { host: "x86_64" })).toThrow(
      /^qemu-aarch64 not found on PATH \(needed to run arm64 binaries on this host\)$/,
    );
    const err = (() => {
      try {
        foreignExec("arm64", { host: "x86_64" });
      } catch (e) {
        return e as { hint?: string };
      }
    })();
    expect(err?.hint).toBe("install it with: apt-get install qemu-user");
  } finally {
    process.env.PATH = saved;
  }
});
