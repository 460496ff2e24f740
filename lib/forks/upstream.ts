// Upstream URLs: real URLs with a scheme (https, ssh, git, file) or an absolute local path. The
// manifest holds the https URL; RUNM_FORKS_UPSTREAM_<NAME> or --upstream NAME=URL points one fork
// elsewhere (a local mirror, or a test's own repository), --from DIR every fork at DIR's mirrors.
import { existsSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { invalidArgument, notFound } from "../errors.ts";

const SCHEMES = ["https:", "http:", "ssh:", "git:", "file:"];

/** Throws InvalidArgument unless url is a URL with a known scheme or an absolute path. */
export function checkUpstreamUrl(url: string, what = "upstream"): string {
  if (isAbsolute(url)) return url;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw invalidArgument(`${what} "${url}" is not a URL`, {
      hint: "give a URL with a scheme (https://github.com/owner/repo) or an absolute path",
    });
  }
  if (!SCHEMES.includes(u.protocol))
    throw invalidArgument(`${what} "${url}" has unsupported scheme ${u.protocol}`, {
      hint: `use one of ${SCHEMES.map((s) => `${s}//`).join(", ")}`,
    });
  const local = u.hostname === "" || u.hostname === "localhost";
  if (u.protocol === "file:" ? !local || u.pathname === "/" : !u.hostname)
    throw invalidArgument(`${what} "${url}" has no ${u.protocol === "file:" ? "absolute path" : "host"}`);
  return url;
}

export const upstreamEnvName = (fork: string) =>
  `RUNM_FORKS_UPSTREAM_${fork.toUpperCase().replace(/-/g, "_")}`;

/** Parse repeated `--upstream NAME=URL` values into a map (URLs validated). */
export function parseUpstreamFlags(values: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const v of values) {
    const i = v.indexOf("=");
    if (i <= 0) throw invalidArgument(`--upstream "${v}" must be NAME=URL`);
    out.set(v.slice(0, i), checkUpstreamUrl(v.slice(i + 1), `--upstream ${v.slice(0, i)}`));
  }
  return out;
}

/**
 * `--from DIR`: a directory of local git mirrors (air-gapped hosts, tests), one per fork, named
 * after the fork (`DIR/containerd` or `DIR/containerd.git`, bare or not).
 */
export function mirrorIn(dir: string, fork: string): string {
  const root = resolve(dir);
  const found = [join(root, fork), join(root, `${fork}.git`)].find((p) => existsSync(p));
  if (!found)
    throw notFound(`no mirror of ${fork} in ${root}`, {
      hint: `put a git mirror at ${join(root, fork)} (git clone --mirror URL ${join(root, `${fork}.git`)}), or drop --from`,
    });
  return found;
}

/** The URL to fetch a fork from: its own flag, then its env var, then `--from DIR`, then the manifest. */
export function resolveUpstream(
  fork: { name: string; upstream: string },
  flags: Map<string, string> = new Map(),
  env: Record<string, string | undefined> = process.env,
  from?: string,
): string {
  const fromFlag = flags.get(fork.name);
  if (fromFlag) return fromFlag;
  const key = upstreamEnvName(fork.name);
  const fromEnv = env[key];
  if (fromEnv) return checkUpstreamUrl(fromEnv, key);
  if (from) return mirrorIn(from, fork.name);
  return fork.upstream;
}
