// `runm forks build`: build a fork's binaries for the host with a Go new enough for its go.mod
// (go-toolchain.ts: the host's, or Debian sid's fetched offline), then compile every package its
// patches touch for darwin/arm64, the platform the patches are for.
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { failedPrecondition, internal } from "../errors.ts";
import { run } from "../exec.ts";
import { logger } from "../log.ts";
import { dirs } from "../paths.ts";
import { isGitCheckout } from "./git.ts";
import { type GoToolchain, goBuildEnv, goToolchain } from "./go-toolchain.ts";
import type { ForkSpec } from "./manifest.ts";
import type { SeriesPatch } from "./series.ts";

const log = logger("forks");

/** From the fork's go.mod: its `go` directive (or null) and whether it requires other modules. */
function readGoMod(dir: string): { go: string | null; requires: boolean } {
  const file = join(dir, "go.mod");
  if (!existsSync(file)) return { go: null, requires: false };
  const text = readFileSync(file, "utf8");
  return { go: /^go\s+(\S+)/m.exec(text)?.[1] ?? null, requires: /^require\b/m.test(text) };
}

/** Where built binaries go by default: outside the checkouts, so a build never dirties a fork. */
export const defaultBuildOut = () => join(dirs().cache, "forks", "bin");

export interface ForkBuildResult {
  outputs: string[];
  /** The packages the series touches, compiled for darwin/arm64. */
  darwinChecked: string[];
  toolchain: GoToolchain;
}

/** Build the fork for the host, then compile for darwin/arm64 every package its patches touch. */
export async function buildFork(
  t: { spec: ForkSpec; series: SeriesPatch[]; path: string },
  outDir = defaultBuildOut(),
): Promise<ForkBuildResult> {
  const { spec, path } = t;
  if (!isGitCheckout(path))
    throw failedPrecondition(`fork ${spec.name} is not installed at ${path}`, {
      hint: `install it with: runm forks install ${spec.name}`,
    });
  const goMod = readGoMod(path);
  const toolchain = await goToolchain(goMod.go);
  const vendored = existsSync(join(path, "vendor", "modules.txt"));
  const env = goBuildEnv(toolchain, vendored);
  if (env.GOPROXY === "off" && !vendored && goMod.requires)
    throw failedPrecondition(
      `fork ${spec.name} does not vendor the Go modules it requires, and no module proxy is set (GOPROXY=off)`,
      {
        hint: `where the Go module proxy is reachable: GOPROXY=https://proxy.golang.org,direct runm forks build ${spec.name}`,
      },
    );
  mkdirSync(outDir, { recursive: true });
  const [tool, ...args] = spec.build.cmd.map((a) => a.replaceAll("{out}", outDir)) as [string, ...string[]];
  log.info(`${spec.name}: ${[tool, ...args].join(" ")} (${toolchain.source} ${toolchain.version})`);
  await run(tool === "go" ? toolchain.go : tool, args, { cwd: path, env, what: `building ${spec.name}` });
  const outputs = spec.build.outputs.map((o) => join(outDir, o));
  const missing = outputs.filter((o) => !existsSync(o));
  if (missing.length) throw internal(`${spec.name}: the build did not produce ${missing.join(", ")}`);
  const darwinChecked = await compileForDarwin(spec.name, touchedPackages(t.series), path, toolchain, env);
  return { outputs, darwinChecked, toolchain };
}

/** "./core/mount" for every Go file (tests aside) a patch of the series changes. */
export function touchedPackages(series: SeriesPatch[]): string[] {
  const dirs = new Set<string>();
  for (const p of series)
    for (const m of p.text.matchAll(/^diff --git a\/(\S+\.go) b\//gm)) {
      const file = m[1] as string;
      if (!file.endsWith("_test.go")) dirs.add(`./${dirname(file)}`.replace(/\/\.$/, ""));
    }
  return [...dirs].sort();
}

/**
 * The patches exist for macOS, which this host cannot run: compiling each touched package for
 * darwin/arm64 (no cgo) at least proves the darwin files build. A package with no file for darwin
 * is not an error (a linux-only file was touched).
 */
async function compileForDarwin(
  name: string,
  pkgs: string[],
  path: string,
  tc: GoToolchain,
  env: Record<string, string>,
): Promise<string[]> {
  const checked: string[] = [];
  const darwin = { ...env, GOOS: "darwin", GOARCH: "arm64", CGO_ENABLED: "0" };
  for (const pkg of pkgs) {
    const files = await run(tc.go, ["list", "-e", "-f", "{{len .GoFiles}}", pkg], { cwd: path, env: darwin });
    if (files.stdout.trim() === "0") continue;
    log.info(`${name}: compiling ${pkg} for darwin/arm64`);
    await run(tc.go, ["build", pkg], {
      cwd: path,
      env: darwin,
      what: `compiling ${name}'s ${pkg} for darwin/arm64`,
    });
    checked.push(pkg);
  }
  return checked;
}
