// The artifact store: cache/artifacts/<kind>/<key>/{<file>, meta.json}. A key is the hash of the
// artifact's inputs, so a present entry is a finished build of exactly those inputs; entries are
// produced in a temp dir and renamed into place, so a crash never leaves a half-entry.
import { existsSync, readFileSync, statSync } from "node:fs";
import { mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { failedPrecondition } from "../errors.ts";
import { withAtomicDir } from "../fs-atomic.ts";
import { withLock } from "../lock.ts";
import { sha256File } from "./hash.ts";

export type ArtifactStatus = "built" | "cached";

export interface Artifact {
  /** e.g. "kernel", "busybox", "initramfs", "squashfs", "agent". */
  name: string;
  path: string;
  key: string;
  sha256: string;
  size: number;
  status: ArtifactStatus;
  seconds: number;
  /** Free-form facts for summaries (config hash, source, ...). */
  info: Record<string, string>;
}

interface Meta {
  key: string;
  file: string;
  sha256: string;
  size: number;
  info: Record<string, string>;
  builtAt: string;
}

/**
 * The flock file guarding one cache entry: in one `locks` dir, so the entries' own dirs hold only
 * what was built (a lock file stays after use: flock's files are never removed, lib/lock.ts).
 */
export function lockFile(cacheDir: string, ...name: string[]): string {
  return join(cacheDir, "locks", `${name.join("-")}.lock`);
}

export function artifactDir(cacheDir: string, kind: string, key: string): string {
  return join(cacheDir, "artifacts", kind, key);
}

export interface ProduceOptions {
  cacheDir: string;
  kind: string;
  key: string;
  /** File name of the artifact inside its entry. */
  file: string;
  force?: boolean;
  /** Writes `file` (and anything else worth keeping) into dir; returns summary facts. */
  build: (dir: string) => Promise<Record<string, string> | undefined>;
}

/** The cached entry for (kind, key), or a fresh build of it. */
export async function produce(o: ProduceOptions): Promise<Artifact> {
  const started = performance.now();
  const cached = readCached(o, started);
  if (cached) return cached;
  const dir = artifactDir(o.cacheDir, o.kind, o.key);
  await mkdir(dirname(dir), { recursive: true });
  return withLock(lockFile(o.cacheDir, "artifact", o.kind, o.key), async () => {
    // Another process may have built it while we waited for the lock.
    const done = readCached(o, started);
    if (done) return done;
    await sweepStaleTemps(dirname(dir));
    return build(o, dir, started);
  });
}

function readCached(o: ProduceOptions, started: number): Artifact | null {
  const dir = artifactDir(o.cacheDir, o.kind, o.key);
  const metaPath = join(dir, "meta.json");
  if (!o.force && existsSync(metaPath)) {
    const meta = JSON.parse(readFileSync(metaPath, "utf8")) as Meta;
    return {
      name: o.kind,
      path: join(dir, meta.file),
      key: o.key,
      sha256: meta.sha256,
      size: meta.size,
      status: "cached",
      seconds: (performance.now() - started) / 1000,
      info: meta.info,
    };
  }
  return null;
}

/** Temp dirs of builds whose process died (Ctrl-C, SIGKILL): never a valid entry, so remove them. */
async function sweepStaleTemps(parent: string): Promise<void> {
  for (const name of await readdir(parent)) {
    const m = /\.tmp-(\d+)-\d+$/.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    let dead = pid !== process.pid;
    try {
      if (dead) process.kill(pid, 0);
      dead = false;
    } catch {
      // no such process
    }
    if (dead) await rm(join(parent, name), { recursive: true, force: true });
  }
}

async function build(o: ProduceOptions, dir: string, started: number): Promise<Artifact> {
  const meta = await withAtomicDir(dir, async (tmp) => {
    const info = (await o.build(tmp)) ?? {};
    const out = join(tmp, o.file);
    if (!existsSync(out)) throw failedPrecondition(`the ${o.kind} build produced no ${o.file}`);
    const m: Meta = {
      key: o.key,
      file: o.file,
      sha256: await sha256File(out),
      size: statSync(out).size,
      info,
      builtAt: new Date().toISOString(),
    };
    await writeFile(join(tmp, "meta.json"), JSON.stringify(m, null, 1));
    return m;
  });
  return {
    name: o.kind,
    path: join(dir, o.file),
    key: o.key,
    sha256: meta.sha256,
    size: meta.size,
    status: "built",
    seconds: (performance.now() - started) / 1000,
    info: meta.info,
  };
}
