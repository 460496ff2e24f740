// Slow, outside the default suite: builds busybox from its pinned source with
// initramfs/busybox.config. busybox.net is unreachable here, so the tarball comes from Debian's
// source package (its orig tarball is byte-identical to busybox.net's, checked by sha256), fetched
// with apt into a scratch dir.
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildBusybox, checkBusybox } from "../../lib/build/busybox.ts";
import { PINNED_BUSYBOX } from "../../lib/build/busybox-source.ts";
import { HashMemo, sha256File } from "../../lib/build/hash.ts";
import { DEBIAN_KEYRING, privateApt } from "../../lib/debian-packages.ts";
import { defaultDebianOptions } from "../../lib/image/debian-rootfs.ts";

const scratch = mkdtempSync(join(tmpdir(), "runm-bbsrc-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function aptSource(): string {
  const o = privateApt(
    scratch,
    `deb-src [signed-by=${DEBIAN_KEYRING}] ${defaultDebianOptions().mirror} bookworm main`,
  );
  expect(Bun.spawnSync(["apt-get", "-qq", ...o, "update"]).exitCode).toBe(0);
  const get = Bun.spawnSync(
    ["apt-get", "-qq", ...o, "source", "--download-only", "busybox=1:1.35.0-4+deb12u1"],
    { cwd: scratch },
  );
  expect(get.exitCode).toBe(0);
  return join(scratch, "busybox_1.35.0.orig.tar.bz2");
}

test(
  "busybox builds from the pinned source, static, with the fragment's applets",
  async () => {
    const tarball = aptSource();
    expect(await sha256File(tarball)).toBe(PINNED_BUSYBOX.sha256);
    const cacheDir = join(scratch, "cache");
    const started = performance.now();
    const bb = await buildBusybox({ arch: "x86_64", cacheDir, memo: HashMemo.in(cacheDir), source: tarball });
    console.log(
      `busybox from source: ${((performance.now() - started) / 1000).toFixed(1)} s, ${bb.size} bytes`,
    );
    expect(bb.status).toBe("built");
    expect(await checkBusybox(bb.path, "x86_64")).toBeNull();
    expect(bb.size).toBeLessThan(1_900_000); // smaller than Debian's full busybox-static
  },
  30 * 60_000,
);
