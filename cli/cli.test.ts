import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../lib/config.ts";
import { runm } from "../test/cli.ts";

describe("runm CLI frame", () => {
  test("--help lists every command group with examples", async () => {
    const r = await runm(["--help"]);
    expect(r.code).toBe(0);
    for (const group of ["build", "forks", "dev", "scenario", "vm", "doctor", "version"]) {
      expect(r.stdout).toMatch(new RegExp(`^\\s+${group}\\s`, "m"));
    }
    expect(r.stdout).toContain("EXAMPLES");
  });

  test("an unknown command is one error line plus usage, exit 2", async () => {
    const r = await runm(["frobnicate"]);
    expect(r.code).toBe(2);
    expect(r.stderr.split("\n")[0]).toBe('runm: unknown command "frobnicate"');
    expect(r.stderr).toContain("USAGE");
    expect(r.stderr).not.toContain("    at ");
  });

  test("an unknown flag is one error line plus the command's usage, exit 2", async () => {
    const r = await runm(["version", "--frob"]);
    expect(r.code).toBe(2);
    expect(r.stderr.split("\n")[0]).toBe("runm: unknown flag --frob");
    expect(r.stderr).toContain("runm version");
  });

  test("a bad --log-level is a usage error", async () => {
    const r = await runm(["--log-level", "loud", "version"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("invalid --log-level loud");
  });

  test("version --json is data on stdout", async () => {
    const r = await runm(["version", "--json"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).runm).toMatch(/^\d+\.\d+\.\d+/);
  });

  test("a bad runm.toml is an error naming the file and the key", async () => {
    const dir = mkdtempSync(join(tmpdir(), "runm-cfg-"));
    try {
      await Bun.write(join(dir, "runm.toml"), "[vm]\ncpu = 2\n");
      expect(() => loadConfig(join(dir, "runm.toml"))).toThrow(`${dir}/runm.toml: unknown key vm.cpu`);
      await Bun.write(join(dir, "runm.toml"), "[vm]\nspare = true\n");
      expect(loadConfig(join(dir, "runm.toml")).vm?.spare).toBe(true);
      await Bun.write(join(dir, "runm.toml"), '[vm]\nspare = "yes"\n');
      expect(() => loadConfig(join(dir, "runm.toml"))).toThrow(
        `${dir}/runm.toml: vm.spare must be a boolean`,
      );
      await Bun.write(join(dir, "runm.toml"), "[vm\n");
      expect(() => loadConfig(join(dir, "runm.toml"))).toThrow(/is not valid TOML/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
