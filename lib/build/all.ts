// `runm build all`: every guest artifact for one arch in dependency order (the quick ones first,
// so a missing tool shows up before a five-minute kernel build), then the manifest.
import { existsSync } from "node:fs";
import type { GuestArch } from "../constants.ts";
import { type GuestManifest, guestManifestPath, readGuestManifest } from "../guest-manifest.ts";
import { buildAgent } from "./agent.ts";
import { buildBusybox } from "./busybox.ts";
import type { Artifact } from "./cache.ts";
import { HashMemo } from "./hash.ts";
import { buildInitramfs } from "./initramfs.ts";
import { buildKernel } from "./kernel.ts";
import type { SourceRequest } from "./kernel-source.ts";
import { manifestOf, writeManifest } from "./manifest.ts";
import { buildSquashfs } from "./squashfs.ts";

export interface BuildAllOptions {
  arch: GuestArch;
  cacheDir: string;
  force?: boolean;
  jobs?: number;
  source?: SourceRequest;
}

export interface BuildAllResult {
  artifacts: Artifact[];
  manifest: GuestManifest;
  manifestPath: string;
}

export async function buildAll(o: BuildAllOptions): Promise<BuildAllResult> {
  const memo = HashMemo.in(o.cacheDir);
  try {
    const common = { arch: o.arch, cacheDir: o.cacheDir, force: o.force };
    const busybox = await buildBusybox({ ...common, memo });
    const initramfs = await buildInitramfs({ ...common, busybox });
    const agent = await buildAgent(common);
    const squashfs = await buildSquashfs({ ...common, memo, busybox, agent });
    const kernel = await buildKernel({ ...common, memo, jobs: o.jobs, source: o.source });
    const previous = existsSync(guestManifestPath(o.arch, o.cacheDir)) ? safeRead(o.arch, o.cacheDir) : null;
    const written = await writeManifest(
      manifestOf(o.arch, kernel, initramfs, squashfs),
      o.cacheDir,
      previous,
    );
    const artifacts = [kernel, busybox, initramfs, ...(agent ? [agent] : []), squashfs];
    return { artifacts, manifest: written.manifest, manifestPath: written.path };
  } finally {
    await memo.save();
  }
}

function safeRead(arch: GuestArch, cacheDir: string): GuestManifest | null {
  try {
    return readGuestManifest(arch, cacheDir);
  } catch {
    return null;
  }
}
