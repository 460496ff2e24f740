// What the build subcommands share: the --arch/--force flags and the artifact table.

import type { Artifact } from "../../../lib/build/cache.ts";
import { HashMemo } from "../../../lib/build/hash.ts";
import type { GuestArch } from "../../../lib/constants.ts";
import { invalidArgument } from "../../../lib/errors.ts";
import { dirs } from "../../../lib/paths.ts";
import { parseArch } from "../../arch.ts";
import { printTable } from "../../table.ts";

export { archArg, parseArch } from "../../arch.ts";

export const forceArg = {
  force: {
    type: "boolean",
    description: "Rebuild even if the cache has this exact artifact",
    default: false,
  },
} as const;

export function parseJobs(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw invalidArgument(`--jobs must be a positive integer, got ${value}`);
  return n;
}

export const formatSize = (bytes: number) =>
  bytes >= 1 << 20 ? `${(bytes / (1 << 20)).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(0)} KiB`;

export function printArtifacts(artifacts: Artifact[]): void {
  printTable(
    ["artifact", "status", "size", "sha256", "seconds", "path"],
    artifacts.map((a) => [
      a.name,
      a.status,
      formatSize(a.size),
      a.sha256.slice(0, 12),
      a.seconds.toFixed(2),
      a.path,
    ]),
  );
}

export interface BuildContext {
  arch: GuestArch;
  cacheDir: string;
  memo: HashMemo;
}

/**
 * One build command's frame: the arch from --arch, the cache dir, and the probe memo, saved even
 * when the build fails; the artifacts returned are printed as the table.
 */
export async function runBuild(arch: string | undefined, build: (c: BuildContext) => Promise<Artifact[]>) {
  const cacheDir = dirs().cache;
  const ctx = { arch: parseArch(arch), cacheDir, memo: HashMemo.in(cacheDir) };
  try {
    printArtifacts(await build(ctx));
  } finally {
    await ctx.memo.save();
  }
}
