// Finding an already-built shim without building (runm dev containerd --no-build).
import { expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RUNM_SHIM_BINARY } from "../constants.ts";
import { builtShimBinary } from "./shim-binary.ts";

test("no build yet: none; older builds: the newest, marked stale", () => {
  const cache = mkdtempSync(join(tmpdir(), "runm-shimcache-"));
  try {
    expect(builtShimBinary(cache)).toBeUndefined();
    const put = (hash: string, mtime: number) => {
      mkdirSync(join(cache, "shim", hash), { recursive: true });
      const p = join(cache, "shim", hash, RUNM_SHIM_BINARY);
      writeFileSync(p, "");
      utimesSync(p, mtime, mtime);
      return p;
    };
    put("old", 1_000_000);
    const newer = put("newer", 2_000_000);
    expect(builtShimBinary(cache)).toEqual({ path: newer, stale: true });
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
});
