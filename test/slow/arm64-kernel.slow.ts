// Slow, outside the default suite (`bun run test:slow`): cross-builds the arm64 guest kernel with
// gcc-aarch64-linux-gnu from the same source and kernel-config/, minutes of CPU. The Image is
// checked by its arm64 boot header, and the build time is printed for the record.
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { HashMemo } from "../../lib/build/hash.ts";
import { buildKernel } from "../../lib/build/kernel.ts";
import { dirs } from "../../lib/paths.ts";

test(
  "the arm64 kernel cross-builds to an uncompressed Image with every requested option",
  async () => {
    const cacheDir = dirs().cache;
    const memo = HashMemo.in(cacheDir);
    const started = performance.now();
    const kernel = await buildKernel({
      arch: "arm64",
      cacheDir,
      memo,
      force: process.env.RUNM_FORCE === "1",
    });
    await memo.save();
    const seconds = (performance.now() - started) / 1000;
    const image = readFileSync(kernel.path);
    // arm64 Image header: magic "ARM\x64" at offset 0x38.
    expect(image.subarray(0x38, 0x3c).toString("latin1")).toBe("ARM\x64");
    expect(kernel.path).toEndWith("/Image");
    expect(kernel.size).toBeGreaterThan(2 << 20);
    console.log(
      `arm64 kernel: ${kernel.status} in ${seconds.toFixed(1)} s, ${(kernel.size / 2 ** 20).toFixed(1)} MiB`,
    );
  },
  90 * 60_000,
);
