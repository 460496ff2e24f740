import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hostGuestArch } from "../constants.ts";
import type { GuestManifest } from "../guest-manifest.ts";
import { defaultSandboxConfig } from "./sandbox.ts";

const empty = mkdtempSync(join(tmpdir(), "runm-nocache-"));
const saved = process.env.RUNM_CACHE_DIR;
process.env.RUNM_CACHE_DIR = empty;
afterAll(() => {
  if (saved === undefined) delete process.env.RUNM_CACHE_DIR;
  else process.env.RUNM_CACHE_DIR = saved;
  rmSync(empty, { recursive: true, force: true });
});

test("a given guest (another arch's) needs no host-arch image; without one, the host's, the missing image is named", () => {
  const arm = { arch: "arm64" } as GuestManifest;
  expect(defaultSandboxConfig("a", [], { manifest: arm }).manifest).toBe(arm);
  expect(() => defaultSandboxConfig("b", [])).toThrow(
    `no guest image for ${hostGuestArch()} at ${empty}/guest/${hostGuestArch()}/manifest.json`,
  );
});
