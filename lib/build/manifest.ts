// Writes lib/guest-manifest.ts's manifest: where the launcher finds this arch's guest image.
import type { GuestArch } from "../constants.ts";
import { writeFileAtomic } from "../fs-atomic.ts";
import { type ArtifactRef, type GuestManifest, guestManifestPath } from "../guest-manifest.ts";
import type { Artifact } from "./cache.ts";

const ref = (a: Artifact): ArtifactRef => ({ path: a.path, sha256: a.sha256, key: a.key });

export function manifestOf(
  arch: GuestArch,
  kernel: Artifact,
  initramfs: Artifact,
  squashfs: Artifact,
): GuestManifest {
  return {
    version: 1,
    arch,
    kernel: ref(kernel),
    initramfs: ref(initramfs),
    squashfs: ref(squashfs),
    builtAt: new Date().toISOString(),
  };
}

/** Rewrites the manifest only when an artifact changed, so a no-op build touches nothing. */
export async function writeManifest(
  m: GuestManifest,
  cacheDir: string,
  previous?: GuestManifest | null,
): Promise<{ path: string; manifest: GuestManifest }> {
  const path = guestManifestPath(m.arch, cacheDir);
  const same =
    previous &&
    (["kernel", "initramfs", "squashfs"] as const).every(
      (p) => previous[p].sha256 === m[p].sha256 && previous[p].path === m[p].path,
    );
  if (same) return { path, manifest: previous };
  await writeFileAtomic(path, `${JSON.stringify(m, null, 2)}\n`);
  return { path, manifest: m };
}
