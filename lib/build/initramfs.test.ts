import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { BOOT_MARKER, GUEST_AGENT_PATH } from "../constants.ts";
import { buildBusybox } from "./busybox.ts";
import { HashMemo } from "./hash.ts";
import { buildInitramfs, INIT_SCRIPT, renderInit } from "./initramfs.ts";

const cacheDir = mkdtempSync(join(tmpdir(), "runm-initramfs-"));
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

describe("initramfs", () => {
  test("reproducible gzip newc cpio that GNU cpio lists", async () => {
    const busybox = await buildBusybox({ arch: "x86_64", cacheDir, memo: HashMemo.in(cacheDir) });
    const a = await buildInitramfs({ arch: "x86_64", cacheDir, busybox });
    const first = readFileSync(a.path);
    const b = await buildInitramfs({ arch: "x86_64", cacheDir, busybox, force: true });
    expect(b.status).toBe("built");
    expect(Buffer.compare(first, readFileSync(b.path))).toBe(0);
    expect(b.sha256).toBe(a.sha256);
    const again = await buildInitramfs({ arch: "x86_64", cacheDir, busybox });
    expect(again.status).toBe("cached");

    const cpio = join(cacheDir, "x.cpio");
    await Bun.write(cpio, gunzipSync(first));
    const r = Bun.spawnSync(["cpio", "-t", "-v", "--numeric-uid-gid", "-F", cpio], { stderr: "pipe" });
    expect(r.exitCode).toBe(0);
    const listing = r.stdout.toString();
    expect(listing).toMatch(/^-rwxr-xr-x\s+1 0\s+0\s+\d+ Jan\s+1\s+1970 init$/m);
    expect(listing).toMatch(/^-rwxr-xr-x\s+1 0\s+0\s+\d+ Jan\s+1\s+1970 bin\/busybox$/m);
    expect(listing).toMatch(/^crw-------\s+1 0\s+0\s+5,\s+1 Jan\s+1\s+1970 dev\/console$/m);
    expect(listing).toMatch(/bin\/switch_root -> busybox$/m);
  }, 60_000);

  test("/init is filled from lib/constants.ts and is valid sh", () => {
    const init = renderInit(readFileSync(INIT_SCRIPT, "utf8"));
    expect(init).not.toContain("@@");
    expect(init).toContain(`echo "${BOOT_MARKER}"`);
    expect(init).toContain(`exec /mbin/bin/tini -g -- ${GUEST_AGENT_PATH}`);
    const r = Bun.spawnSync(["busybox", "sh", "-n", "-c", init], { stderr: "pipe" });
    expect(r.stderr.toString()).toBe("");
    expect(r.exitCode).toBe(0);
    expect(() => renderInit("echo @@NOPE@@")).toThrow(/unknown placeholder @@NOPE@@/);
  });
});
