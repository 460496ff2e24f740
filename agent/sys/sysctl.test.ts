import { expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { applyNetSysctls, takeNetSysctls } from "./sysctl.ts";

test("net.* sysctls are taken out of the spec for the VM's network; the rest stay for runc", () => {
  expect(takeNetSysctls(undefined)).toEqual({ net: {}, rest: undefined });
  expect(
    takeNetSysctls({ "net.ipv4.ip_unprivileged_port_start": "0", "kernel.shm_rmid_forced": "1" }),
  ).toEqual({ net: { "net.ipv4.ip_unprivileged_port_start": "0" }, rest: { "kernel.shm_rmid_forced": "1" } });
});

test("each is written to its /proc/sys file; a name or value that is not plain is refused before any write", () => {
  const sys = mkdtempSync(join(tmpdir(), "runm-sysctl-"));
  try {
    mkdirSync(join(sys, "net", "ipv4"), { recursive: true });
    writeFileSync(join(sys, "net", "ipv4", "ip_unprivileged_port_start"), "1024");
    applyNetSysctls("c", { "net.ipv4.ip_unprivileged_port_start": "0" }, sys);
    expect(readFileSync(join(sys, "net", "ipv4", "ip_unprivileged_port_start"), "utf8")).toBe("0");
    for (const [k, v] of [
      ["net.ipv4..ip_forward", "1"],
      ["net/../../kernel/core_pattern", "x"],
      ["net.ipv4.ip_forward", "1\n"],
      ["kernel.core_pattern", "x"],
    ])
      expect(() => applyNetSysctls("c", { [k as string]: v as string }, sys)).toThrow(
        /is not a plain net\.\* setting/,
      );
    expect(() => applyNetSysctls("c", { "net.ipv4.nope": "1" }, sys)).toThrow(
      /has no sysctl net\.ipv4\.nope/,
    );
  } finally {
    rmSync(sys, { recursive: true, force: true });
  }
});
