// The small manifest `runm build` writes and the VM launcher reads to find the guest image.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { GuestArch } from "./constants.ts";
import { failedPrecondition } from "./errors.ts";
import { dirs } from "./paths.ts";

export interface ArtifactRef {
  /** Absolute path of the artifact in the cache. */
  path: string;
  /** sha256 of the artifact's bytes. */
  sha256: string;
  /** Hash of the inputs that named the cache entry. */
  key: string;
}

export interface GuestManifest {
  version: 1;
  arch: GuestArch;
  /** x86_64: uncompressed PVH vmlinux; arm64: uncompressed Image. */
  kernel: ArtifactRef;
  initramfs: ArtifactRef;
  /** The mbin squashfs (agent, runc and its libraries, busybox). */
  squashfs: ArtifactRef;
  builtAt: string;
}

export function guestManifestPath(arch: GuestArch, cacheDir = dirs().cache): string {
  return join(cacheDir, "guest", arch, "manifest.json");
}

export function readGuestManifest(arch: GuestArch, cacheDir = dirs().cache): GuestManifest {
  const path = guestManifestPath(arch, cacheDir);
  if (!existsSync(path)) {
    throw failedPrecondition(`no guest image for ${arch} at ${path}`, {
      hint: `build it with: runm build all --arch ${arch}`,
    });
  }
  const m = JSON.parse(readFileSync(path, "utf8")) as GuestManifest;
  for (const part of ["kernel", "initramfs", "squashfs"] as const) {
    if (!existsSync(m[part].path)) {
      throw failedPrecondition(`guest ${part} for ${arch} is missing: ${m[part].path}`, {
        hint: `rebuild it with: runm build all --arch ${arch}`,
      });
    }
  }
  return m;
}
