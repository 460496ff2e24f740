import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isRunmError } from "../errors.ts";
import { HashMemo, sha256 } from "./hash.ts";
import { download, extractSource, findDistroSource, resolveKernelSource } from "./kernel-source.ts";

const scratch = mkdtempSync(join(tmpdir(), "runm-ksrc-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

// A loopback server standing in for kernel.org.
const payload = new TextEncoder().encode("not really a kernel tarball\n");
const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response(payload) });
afterAll(() => server.stop(true));
const url = `http://127.0.0.1:${server.port}/linux-6.1.tar.xz`;

describe("kernel source", () => {
  test("a checksum mismatch is a clear error and leaves nothing in the cache", async () => {
    const cache = join(scratch, "c1");
    const err = await download(url, "0".repeat(64), cache).catch((e) => e);
    expect(isRunmError(err, "FailedPrecondition")).toBe(true);
    expect(err.message).toContain(
      `checksum mismatch for ${url}: expected sha256 ${"0".repeat(64)}, got ${sha256(payload)}`,
    );
    expect(err.hint).toContain("--source");
    expect(readdirSync(join(cache, "build", "downloads"))).toEqual([]);
  });

  test("the pinned tarball is fetched once, verified and reused", async () => {
    const cache = join(scratch, "c2");
    const memo = HashMemo.in(cache);
    const pinned = { url, sha256: sha256(payload) };
    const r = await resolveKernelSource(
      { distroDir: join(scratch, "none"), pinned, configSource: "" },
      cache,
      memo,
    );
    expect(r.origin).toBe("pinned");
    expect(r.sha256).toBe(sha256(payload));
    server.stop(true);
    const again = await resolveKernelSource(
      { distroDir: join(scratch, "none"), pinned, configSource: "" },
      cache,
      memo,
    );
    expect(again.tarball).toBe(r.tarball);
  });

  test("a corrupt tarball fails extraction with a hint and leaves no source tree", async () => {
    const cache = join(scratch, "c3");
    const bad = join(scratch, "linux-bad.tar.xz");
    writeFileSync(bad, payload);
    const err = await extractSource({ tarball: bad, origin: "flag", sha256: sha256(payload) }, cache).catch(
      (e) => e,
    );
    expect(isRunmError(err, "FailedPrecondition")).toBe(true);
    expect(err.message).toContain("is not a readable tarball");
    expect(readdirSync(join(cache, "build", "src"))).toEqual([]);
  });

  test("resolution order: --source, then runm.toml, then /usr/src, then pinned", async () => {
    const memo = HashMemo.in(join(scratch, "c4"));
    const usrSrc = join(scratch, "usr-src");
    mkdirSync(usrSrc, { recursive: true });
    for (const n of [
      "linux-source-5.10.tar.xz",
      "linux-source-6.1.tar.xz",
      "linux-source-6.12.tar.xz",
      "README",
    ]) {
      writeFileSync(join(usrSrc, n), n);
    }
    const a = join(scratch, "a.tar.xz");
    const b = join(scratch, "b.tar.xz");
    writeFileSync(a, "a");
    writeFileSync(b, "b");
    const cache = join(scratch, "c4");
    const pick = (flag?: string, configSource?: string) =>
      resolveKernelSource({ flag, configSource, distroDir: usrSrc }, cache, memo);
    expect((await pick(a, b)).tarball).toBe(a);
    expect((await pick(undefined, b)).origin).toBe("runm.toml");
    expect((await pick(undefined, "")).tarball).toBe(join(usrSrc, "linux-source-6.1.tar.xz"));
    expect(findDistroSource(join(scratch, "none"))).toBeNull();
    const missing = await pick(join(scratch, "nope.tar.xz")).catch((e) => e);
    expect(isRunmError(missing, "InvalidArgument")).toBe(true);
    expect(existsSync(join(cache, "build", "downloads"))).toBe(false);
  });
});
