// Where the kernel source comes from, in order: --source, runm.toml [kernel] source, a distro
// source tarball under /usr/src (Debian's linux-source-*), then the pinned upstream tarball,
// downloaded and checked against its sha256. Nothing half-downloaded or half-extracted is ever
// left under a final cache name.
import { existsSync, readdirSync } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { loadConfig } from "../config.ts";
import { failedPrecondition, invalidArgument, messageOf, RunmError, unavailable } from "../errors.ts";
import { run } from "../exec.ts";
import { tempSibling, withAtomicDir } from "../fs-atomic.ts";
import { withLock } from "../lock.ts";
import { lockFile } from "./cache.ts";
import { type HashMemo, sha256File } from "./hash.ts";

/** The upstream LTS tarball used when no local source exists (kernel.org sha256sums.asc). */
export const PINNED_KERNEL = {
  version: "6.1",
  url: "https://cdn.kernel.org/pub/linux/kernel/v6.x/linux-6.1.tar.xz",
  sha256: "2ca1f17051a430f6fed1196e4952717507171acfd97d96577212502703b25deb",
} as const;

export interface SourceRequest {
  /** --source: a tarball path or an http(s) URL. */
  flag?: string;
  /** Overrides for tests: config file, /usr/src, the pinned tarball. */
  configSource?: string;
  distroDir?: string;
  pinned?: { url: string; sha256: string };
}

export type SourceOrigin = "flag" | "runm.toml" | "distro" | "pinned";

export interface ResolvedSource {
  tarball: string;
  origin: SourceOrigin;
  sha256: string;
}

/** Newest Debian-style linux-source-X.Y.tar.xz in dir, or null. */
export function findDistroSource(dir = "/usr/src"): string | null {
  if (!existsSync(dir)) return null;
  const found = readdirSync(dir)
    .map((n) => /^linux-source-(\d+)\.(\d+)\.tar\.(xz|gz|bz2)$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .sort((a, b) => Number(b[1]) - Number(a[1]) || Number(b[2]) - Number(a[2]));
  // Prefer 6.1 (the verified config) when present, else the newest.
  const pick = found.find((m) => m[1] === "6" && m[2] === "1") ?? found[0];
  return pick ? join(dir, pick[0]) : null;
}

export async function resolveKernelSource(
  req: SourceRequest,
  cacheDir: string,
  memo: HashMemo,
): Promise<ResolvedSource> {
  const fromConfig = req.configSource ?? loadConfig().kernel?.source;
  const candidates: [SourceOrigin, string | undefined][] = [
    ["flag", req.flag],
    ["runm.toml", fromConfig],
  ];
  for (const [origin, value] of candidates) {
    if (!value) continue;
    if (/^https?:\/\//.test(value)) {
      const tarball = await download(value, undefined, cacheDir);
      return { tarball, origin, sha256: await memo.hash(tarball) };
    }
    const tarball = resolve(value);
    if (!existsSync(tarball)) {
      throw invalidArgument(`kernel source ${tarball} (from ${origin}) does not exist`, {
        hint: "pass an existing linux-*.tar.xz with --source, or fix [kernel] source in runm.toml",
      });
    }
    return { tarball, origin, sha256: await memo.hash(tarball) };
  }
  const distro = findDistroSource(req.distroDir);
  if (distro) return { tarball: distro, origin: "distro", sha256: await memo.hash(distro) };
  const pinned = req.pinned ?? PINNED_KERNEL;
  const tarball = await download(pinned.url, pinned.sha256, cacheDir);
  return { tarball, origin: "pinned", sha256: pinned.sha256 };
}

/** Where download() keeps url (named by its sha256 when known). */
export function pinnedPath(url: string, expected: string | undefined, cacheDir: string): string {
  const name = basename(new URL(url).pathname) || "download";
  return join(cacheDir, "build", "downloads", expected ? `${expected.slice(0, 16)}-${name}` : name);
}

/** Download url into the cache (by sha256 when known), verifying the checksum before the rename. */
export async function download(url: string, expected: string | undefined, cacheDir: string): Promise<string> {
  const final = pinnedPath(url, expected, cacheDir);
  if (expected && existsSync(final)) return final;
  const tmp = tempSibling(final);
  try {
    let res: Response;
    try {
      res = await fetch(url);
    } catch (e) {
      throw unavailable(`cannot download ${url}: ${messageOf(e)}`, {
        hint: "pass a local tarball with --source FILE (for the kernel, apt-get install linux-source-6.1 also works offline)",
      });
    }
    if (!res.ok || !res.body) {
      throw unavailable(`cannot download ${url}: HTTP ${res.status}`, {
        hint: "pass a local tarball with --source FILE",
      });
    }
    await Bun.write(tmp, res);
    if (expected) {
      const got = await sha256File(tmp);
      if (got !== expected) {
        throw failedPrecondition(`checksum mismatch for ${url}: expected sha256 ${expected}, got ${got}`, {
          hint: "the download is corrupt or was tampered with; retry, or pass a trusted tarball with --source FILE",
        });
      }
    }
    await rename(tmp, final);
    return final;
  } finally {
    await rm(tmp, { force: true });
  }
}

/** Extract a kernel tarball once per content hash; the top-level directory is stripped. */
export async function extractSource(src: ResolvedSource, cacheDir: string): Promise<string> {
  const dest = join(cacheDir, "build", "src", `linux-${src.sha256.slice(0, 16)}`);
  if (existsSync(join(dest, "Makefile"))) return dest;
  await withLock(lockFile(cacheDir, "src", basename(dest)), () =>
    existsSync(join(dest, "Makefile")) ? Promise.resolve() : extractInto(src, dest),
  );
  return dest;
}

async function extractInto(src: ResolvedSource, dest: string): Promise<void> {
  await withAtomicDir(dest, async (tmp) => {
    try {
      await run("tar", ["-xf", src.tarball, "-C", tmp, "--strip-components=1"], {
        what: "extracting the kernel source",
      });
    } catch (e) {
      throw failedPrecondition(`kernel source ${src.tarball} is not a readable tarball`, {
        hint: "the file is corrupt or not a linux-*.tar.{xz,gz}; pass another with --source",
        cause: e,
        details: e instanceof RunmError ? e.details : [],
      });
    }
    if (!existsSync(join(tmp, "scripts", "kconfig", "merge_config.sh"))) {
      throw failedPrecondition(`${src.tarball} does not look like a Linux source tree`, {
        hint: "pass a kernel.org linux-*.tar.xz or Debian's linux-source tarball with --source",
      });
    }
  });
}
