// `runm forks build`: build a fork's binaries with the host's Go toolchain. The forks need a Go
// as new as their go.mod says; an older one (Debian 12 ships 1.19) is reported with the fix
// instead of a wall of compiler errors.
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { failedPrecondition, internal } from "../errors.ts";
import { run } from "../exec.ts";
import { logger } from "../log.ts";
import { dirs } from "../paths.ts";
import { findTool, installHint } from "../tools.ts";
import { isGitCheckout } from "./git.ts";
import type { ForkSpec } from "./manifest.ts";

const log = logger("forks");

/** "go1.26.3" / "1.26.3" / "1.21" → [1, 26, 3]. */
export function parseGoVersion(v: string): number[] {
  const m = /(\d+)\.(\d+)(?:\.(\d+))?/.exec(v);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : [0, 0, 0];
}

export function compareVersions(a: number[], b: number[]): number {
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) - (b[i] ?? 0);
  return 0;
}

/** The `go` directive of go.mod, or null. */
export function goModVersion(dir: string): string | null {
  const file = join(dir, "go.mod");
  if (!existsSync(file)) return null;
  return /^go\s+(\S+)/m.exec(readFileSync(file, "utf8"))?.[1] ?? null;
}

// From Go 1.21 on, `go` downloads the toolchain a go.mod asks for by itself.
const SELF_UPGRADING = [1, 21, 0];

export async function checkGo(need: string | null): Promise<{ go: string; version: string }> {
  const go = findTool("go");
  if (!go)
    throw failedPrecondition(
      `no Go toolchain on PATH${need ? ` (the forks need Go ${need} or newer)` : ""}`,
      {
        hint: installHint("go"),
      },
    );
  const version = (await run(go, ["env", "GOVERSION"])).stdout.trim();
  const have = parseGoVersion(version);
  if (need && compareVersions(have, parseGoVersion(need)) < 0 && compareVersions(have, SELF_UPGRADING) < 0)
    throw failedPrecondition(`Go ${need} or newer is needed, found ${version} at ${go}`, {
      hint: `install Go ${need}+ from https://go.dev/dl/ and put it first on PATH (Go 1.21+ also fetches newer toolchains itself)`,
    });
  return { go, version };
}

/** Where built binaries go by default: outside the checkouts, so a build never dirties a fork. */
export const defaultBuildOut = () => join(dirs().cache, "forks", "bin");

export async function buildFork(spec: ForkSpec, path: string, outDir = defaultBuildOut()): Promise<string[]> {
  if (!isGitCheckout(path))
    throw failedPrecondition(`fork ${spec.name} is not installed at ${path}`, {
      hint: `install it with: runm forks install ${spec.name}`,
    });
  await checkGo(goModVersion(path));
  mkdirSync(outDir, { recursive: true });
  const [tool, ...args] = spec.build.cmd.map((a) => a.replaceAll("{out}", outDir)) as [string, ...string[]];
  log.info(`${spec.name}: ${[tool, ...args].join(" ")}`);
  await run(tool, args, { cwd: path, what: `building ${spec.name}` });
  const outputs = spec.build.outputs.map((o) => join(outDir, o));
  const missing = outputs.filter((o) => !existsSync(o));
  if (missing.length) throw internal(`${spec.name}: the build did not produce ${missing.join(", ")}`);
  return outputs;
}
