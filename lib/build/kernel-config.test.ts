import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isRunmError } from "../errors.ts";
import { dirs } from "../paths.ts";
import { HashMemo } from "./hash.ts";
import { configureKernel } from "./kernel.ts";
import {
  assertConfig,
  fragmentPaths,
  parseFragment,
  requestedOptions,
  verifyConfig,
} from "./kernel-config.ts";
import { extractSource, resolveKernelSource } from "./kernel-source.ts";

const synthetic = `#
# Automatically generated file; DO NOT EDIT.
CONFIG_64BIT=y
CONFIG_NR_CPUS=64
CONFIG_CMDLINE="console=ttyS0"
# CONFIG_VT is not set
CONFIG_VIRTIO_BLK=y
`;

describe("kernel option verifier (synthetic .config)", () => {
  test("parses set, valued and 'is not set' lines", () => {
    const f = parseFragment(synthetic);
    expect(f.get("CONFIG_NR_CPUS")).toBe("64");
    expect(f.get("CONFIG_CMDLINE")).toBe('"console=ttyS0"');
    expect(f.get("CONFIG_VT")).toBe("n");
  });

  test("accepts options that ended up as requested, absent counts as not set", () => {
    const want = parseFragment(
      "CONFIG_64BIT=y\nCONFIG_NR_CPUS=64\n# CONFIG_VT is not set\n# CONFIG_MODULES is not set\n",
    );
    expect(verifyConfig(want, synthetic)).toEqual([]);
  });

  test("names every option that was dropped or changed", () => {
    const want = parseFragment(
      "CONFIG_RUNM_IMPOSSIBLE=y\nCONFIG_NR_CPUS=2\nCONFIG_VIRTIO_BLK=y\n# CONFIG_64BIT is not set\n",
    );
    expect(verifyConfig(want, synthetic)).toEqual([
      { option: "CONFIG_RUNM_IMPOSSIBLE", wanted: "y", got: "n" },
      { option: "CONFIG_NR_CPUS", wanted: "2", got: "64" },
      { option: "CONFIG_64BIT", wanted: "n", got: "y" },
    ]);
    try {
      assertConfig(want, synthetic, "test/.config");
      throw new Error("expected a failure");
    } catch (e) {
      expect(isRunmError(e, "FailedPrecondition")).toBe(true);
      const err = e as import("../errors.ts").RunmError;
      expect(err.message).toContain("CONFIG_RUNM_IMPOSSIBLE, CONFIG_NR_CPUS, CONFIG_64BIT");
      expect(err.details).toContain("CONFIG_NR_CPUS: wanted 2, got 64");
      expect(err.hint).toContain("depends on");
    }
  });
});

// Runs the real tinyconfig + merge_config.sh of the kernel source runm builds (about a minute):
// the repo's fragments all stick, and an impossible option is caught by name.
describe("kernel option verifier (real merge, x86_64)", () => {
  const scratch = mkdtempSync(join(tmpdir(), "runm-kconfig-"));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  test(
    "the repo's fragments survive merge_config.sh; an impossible option fails the build naming it",
    async () => {
      const cacheDir = dirs().cache;
      const memo = HashMemo.in(cacheDir);
      const src = await resolveKernelSource({}, cacheDir, memo);
      await memo.save();
      const srcDir = await extractSource(src, cacheDir);
      const fragments = fragmentPaths("x86_64");
      // One merge (each takes a minute or more) proves both: only the impossible lines are reported.
      const bad = join(scratch, "impossible.config");
      // VIRTIO_IOMMU sits inside the IOMMU_SUPPORT menu, which nothing enables; the other is no option at all.
      writeFileSync(bad, "CONFIG_RUNM_IMPOSSIBLE=y\nCONFIG_VIRTIO_IOMMU=y\n");
      const objDir = join(scratch, "obj");
      const err = await configureKernel({
        arch: "x86_64",
        srcDir,
        objDir,
        fragments: [...fragments, bad],
        logFile: join(scratch, "config.log"),
      }).catch((e) => e);
      expect(isRunmError(err, "FailedPrecondition")).toBe(true);
      expect(err.details).toEqual([
        "CONFIG_RUNM_IMPOSSIBLE: wanted y, got not set",
        "CONFIG_VIRTIO_IOMMU: wanted y, got not set",
      ]);
      const config = readFileSync(join(objDir, ".config"), "utf8");
      expect(verifyConfig(requestedOptions(fragments), config)).toEqual([]);
      expect(config).toContain("CONFIG_PVH=y");
      expect(config).not.toMatch(/^CONFIG_MODULES=y/m);
      expect(readdirSync(scratch)).toContain("config.log");
    },
    10 * 60_000,
  );
});
