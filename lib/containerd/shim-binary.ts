// Builds containerd-shim-runm-v2 (and, for the Debian package, the runm CLI) with `bun build
// --compile` into the cache, keyed by a hash of the sources, and installs the shim where a
// containerd finds it (a dir on its PATH).
import { createHash } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { RUNM_SHIM_BINARY } from "../constants.ts";
import { run } from "../exec.ts";
import { tempSibling } from "../fs-atomic.ts";
import { dirs, REPO_ROOT } from "../paths.ts";

function sourceHash(dirs: string[] = ["shim", "lib"]): string {
  const h = createHash("sha256");
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(ts|proto)$/.test(name) && !name.endsWith(".test.ts")) h.update(p).update(readFileSync(p));
    }
  };
  for (const d of dirs) walk(join(REPO_ROOT, d));
  h.update(Bun.version);
  return h.digest("hex").slice(0, 16);
}

/** `bun build --compile` of `entry` into cache/<kind>/<source hash>/<name>, once per source change. */
async function compileOnce(o: {
  entry: string;
  name: string;
  kind: string;
  sources: string[];
  cacheDir: string;
}): Promise<string> {
  const out = join(o.cacheDir, o.kind, sourceHash(o.sources), o.name);
  if (existsSync(out)) return out;
  mkdirSync(dirname(out), { recursive: true });
  const tmp = tempSibling(out);
  // --bytecode: the binary carries JavaScriptCore bytecode instead of source to parse at every
  // start; the shim starts three times per container (start, serve, delete), and `shim -v` went
  // from 0.11 s to 0.065 s with it.
  const args = ["build", "--compile", "--bytecode", join(REPO_ROOT, o.entry), "--outfile", tmp];
  await run(process.execPath, args, {
    cwd: REPO_ROOT,
    what: `compiling ${o.name}`,
    timeout: 300_000,
  });
  renameSync(tmp, out);
  return out;
}

/** The compiled shim for the current sources (built once per source change). */
export function buildShimBinary(cacheDir = dirs().cache): Promise<string> {
  return compileOnce({
    entry: "shim/main.ts",
    name: RUNM_SHIM_BINARY,
    kind: "shim",
    sources: ["shim", "lib"],
    cacheDir,
  });
}

/** The compiled runm CLI (for the Debian package: runm without the source tree). */
export function buildCliBinary(cacheDir = dirs().cache): Promise<string> {
  return compileOnce({
    entry: "cli/main.ts",
    name: "runm",
    kind: "cli",
    sources: ["cli", "shim", "lib"],
    cacheDir,
  });
}

/**
 * Without building: the shim for the current sources if it was built, else the newest one in
 * the cache (stale: true), else undefined.
 */
export function builtShimBinary(cacheDir = dirs().cache): { path: string; stale: boolean } | undefined {
  const current = join(cacheDir, "shim", sourceHash(), RUNM_SHIM_BINARY);
  if (existsSync(current)) return { path: current, stale: false };
  const root = join(cacheDir, "shim");
  const built = existsSync(root)
    ? readdirSync(root)
        .map((d) => join(root, d, RUNM_SHIM_BINARY))
        .filter((p) => existsSync(p))
        .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)
    : [];
  return built[0] ? { path: built[0], stale: true } : undefined;
}

/** Copy the shim into `binDir` (e.g. the private containerd's bin dir, or /usr/local/bin). */
export async function installShim(binDir: string, cacheDir?: string): Promise<string> {
  const src = await buildShimBinary(cacheDir);
  const dst = join(binDir, RUNM_SHIM_BINARY);
  const tmp = tempSibling(dst);
  copyFileSync(src, tmp);
  renameSync(tmp, dst);
  return dst;
}
