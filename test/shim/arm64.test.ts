// The arm64 guest through containerd on this x86_64 host: `ctr run --platform linux/arm64` of an
// arm64 image, with the runtime option `arch = "arm64"`, runs in a real arm64 VM (emulated), not
// under qemu-user in a shared kernel: the container sees an aarch64 kernel.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RUNM_RUNTIME_NAME } from "../../lib/constants.ts";
import { buildImage } from "../../lib/image/build.ts";
import { type Harness, SNAPSHOTTER, startHarness } from "./harness.ts";

setDefaultTimeout(300_000);
let h: Harness;
let ref = "";
const dir = mkdtempSync(join(tmpdir(), "runm-arm64-ctr-"));
const options = join(dir, "arm64.toml");

beforeAll(async () => {
  h = await startHarness();
  const img = await buildImage("busybox", { arch: "arm64" });
  ref = img.ref;
  const imp = await h.ctr([
    "images",
    "import",
    "--platform",
    "linux/arm64",
    "--snapshotter",
    SNAPSHOTTER,
    img.path,
  ]);
  if (imp.code !== 0) throw new Error(`arm64 image import failed: ${imp.stderr}`);
  writeFileSync(options, 'arch = "arm64"\n');
});

afterAll(async () => {
  await h?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test("ctr run --platform linux/arm64 with arch = arm64: an aarch64 kernel, exact exit code, nothing left", async () => {
  const r = await h.ctr(
    [
      "run",
      "--rm",
      "--runtime",
      RUNM_RUNTIME_NAME,
      "--platform",
      "linux/arm64",
      "--runtime-config-path",
      options,
      ref,
      "arm64-1",
      "sh",
      "-c",
      "uname -m; exit 7",
    ],
    { container: "arm64-1" },
  );
  expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 7, stdout: "aarch64\n" });
  expect(h.leftovers(["arm64-1"])).toEqual([]);
});

test("an unknown arch in the runtime options fails the run in one line naming it", async () => {
  writeFileSync(join(dir, "bad.toml"), 'arch = "riscv64"\n');
  const r = await h.run("arm64-2", ["true"], ["--runtime-config-path", join(dir, "bad.toml")]);
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain("arch must be one of x86_64, arm64");
  expect(h.leftovers(["arm64-2"])).toEqual([]);
});
