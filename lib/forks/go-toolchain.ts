// The Go that `runm forks build` uses: the host's when it is new enough for the fork's go.mod,
// else Debian unstable's golang-1.27 unpacked into runm's cache (Debian 12 ships Go 1.19, too old
// for every fork, and Go's own toolchain download needs a module proxy this kind of host may not
// reach). Builds never download a toolchain (GOTOOLCHAIN=local) and use vendored modules; a fork
// that needs modules it does not vendor fetches them only through a GOPROXY the user set.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { unpackDebianPackages } from "../debian-packages.ts";
import { failedPrecondition } from "../errors.ts";
import { run } from "../exec.ts";
import { dirs } from "../paths.ts";
import { findTool } from "../tools.ts";

/** The Go runm fetches when the host's is too old: a Debian source, pinned to one Go minor. */
export const OFFLINE_GO = { suite: "sid", minor: "1.27", packages: ["golang-1.27-go", "golang-1.27-src"] };

/** "go1.26.3" / "1.26.3" / "1.21" → [1, 26, 3]. */
export function parseGoVersion(v: string): number[] {
  const m = /(\d+)\.(\d+)(?:\.(\d+))?/.exec(v);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : [0, 0, 0];
}

export function compareVersions(a: number[], b: number[]): number {
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) - (b[i] ?? 0);
  return 0;
}

export interface GoToolchain {
  go: string;
  /** `go env GOVERSION`: "go1.27.3". */
  version: string;
  /** Where it came from, for the build's log line. */
  source: string;
}

const goVersionOf = async (go: string) =>
  (await run(go, ["env", "GOVERSION"], { env: { GOTOOLCHAIN: "local" } })).stdout.trim();
const newEnough = (version: string, need: string | null) =>
  !need || compareVersions(parseGoVersion(version), parseGoVersion(need)) >= 0;

/**
 * A Go at least as new as `need` (a go.mod `go` line; null: any). `hostGo`: the host's go (found on
 * PATH by default; null for none).
 */
export async function goToolchain(
  need: string | null,
  o: { hostGo?: string | null; cacheDir?: string } = {},
): Promise<GoToolchain> {
  const hostGo = o.hostGo === undefined ? findTool("go") : o.hostGo;
  let host: string | undefined;
  if (hostGo) {
    host = await goVersionOf(hostGo);
    if (newEnough(host, need)) return { go: hostGo, version: host, source: "the host's" };
  }
  const root = join(o.cacheDir ?? dirs().cache, `go-${OFFLINE_GO.suite}`, "root");
  const go = join(root, "usr", "lib", `go-${OFFLINE_GO.minor}`, "bin", "go");
  await unpackDebianPackages({
    suite: OFFLINE_GO.suite,
    packages: OFFLINE_GO.packages,
    root,
    // The compiler and the standard library's sources both (a build needs src/).
    ready: () => existsSync(go) && existsSync(join(dirname(dirname(go)), "src", "runtime")),
  });
  const version = await goVersionOf(go);
  if (!version.startsWith(`go${OFFLINE_GO.minor}.`))
    throw failedPrecondition(`Debian ${OFFLINE_GO.suite}'s Go is ${version}, not ${OFFLINE_GO.minor}.x`, {
      hint: `update OFFLINE_GO in lib/forks/go-toolchain.ts to the golang-X.Y Debian ${OFFLINE_GO.suite} carries`,
    });
  if (!newEnough(version, need))
    throw failedPrecondition(
      `Go ${need} or newer is needed; found ${host ? `${host} on the host and ` : ""}${version} from Debian ${OFFLINE_GO.suite}`,
      { hint: `install Go ${need}+ from https://go.dev/dl/ and put it first on PATH` },
    );
  return { go, version, source: `Debian ${OFFLINE_GO.suite}'s` };
}

/**
 * The environment of every fork build: this toolchain first on PATH, never a toolchain download,
 * no module proxy unless the user set GOPROXY, and the fork's vendor dir when it has one.
 */
export function goBuildEnv(tc: GoToolchain, vendored: boolean, env = process.env): Record<string, string> {
  return {
    PATH: `${dirname(tc.go)}:${env.PATH ?? "/usr/bin:/bin"}`,
    GOTOOLCHAIN: "local",
    GOPROXY: env.GOPROXY || "off",
    ...(vendored ? { GOFLAGS: "-mod=vendor" } : {}),
  };
}
