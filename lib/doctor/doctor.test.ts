import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runm } from "../../test/cli.ts";

describe("runm doctor (real tools)", () => {
  test("reports TCG usable and KVM unusable with the reason, as JSON", async () => {
    const r = await runm(["doctor", "--json"]);
    const out = JSON.parse(r.stdout);
    const kvm = out.checks.find((c: { name: string }) => c.name === "accel kvm");
    const tcg = out.checks.find((c: { name: string }) => c.name === "accel tcg");
    // This machine has no usable KVM: the test boot must fail and say why.
    expect(kvm.status).toBe("unusable");
    expect(kvm.detail.length).toBeGreaterThan(5);
    expect(tcg.status).toBe("ok");
    expect(out.accel).toBe("tcg");
    expect(out.ok).toBe(true);
    expect(r.code).toBe(0);
    const runc = out.checks.find((c: { name: string }) => c.name === "runc");
    expect(runc.detail).toMatch(/runc version \d/);
  });

  test("a required tool missing from PATH is named with its apt package and fails the run", async () => {
    // A PATH that holds only bun: every other tool is missing.
    const bin = mkdtempSync(join(tmpdir(), "runm-path-"));
    try {
      symlinkSync(process.execPath, join(bin, "bun"));
      const r = await runm(["doctor"], { env: { PATH: bin } });
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/qemu-system-x86_64\s+missing.*apt-get install qemu-system-x86/);
      expect(r.stdout).toMatch(/mksquashfs\s+missing.*apt-get install squashfs-tools/);
      expect(r.stdout).toContain("required check(s) failed");
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });
});
