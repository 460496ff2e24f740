// What every forks command starts from: the manifest, the selected forks, each fork's series,
// checkout path and upstream URL (after --upstream / RUNM_FORKS_UPSTREAM_<NAME> overrides).
import { resolve } from "node:path";
import { type ForkSpec, forksRoot, loadManifest, type Manifest, selectForks, seriesDir } from "./manifest.ts";
import { readSeries, type SeriesPatch } from "./series.ts";
import { defaultForksDir, forkPath } from "./state.ts";
import { parseUpstreamFlags, resolveUpstream } from "./upstream.ts";

export interface ForkTarget {
  spec: ForkSpec;
  series: SeriesPatch[];
  path: string;
  url: string;
}

export interface ForksContext {
  root: string;
  manifest: Manifest;
  targets: ForkTarget[];
}

export interface ForksOptions {
  names?: string[];
  /** Directory holding the fork checkouts (default: siblings of the runm checkout). */
  dir?: string;
  /** Raw `--upstream NAME=URL` values. */
  upstream?: string[];
  /** `--from DIR`: fetch every fork without its own override from its mirror in DIR. */
  from?: string;
  env?: Record<string, string | undefined>;
}

export function forksContext(opts: ForksOptions = {}): ForksContext {
  const env = opts.env ?? process.env;
  const root = forksRoot(env);
  const manifest = loadManifest(root);
  const flags = parseUpstreamFlags(opts.upstream ?? []);
  for (const name of flags.keys()) selectForks(manifest, [name]); // a typo in --upstream is an error too
  const dir = resolve(opts.dir ?? defaultForksDir());
  const targets = selectForks(manifest, opts.names ?? []).map((spec) => ({
    spec,
    series: readSeries(seriesDir(root, spec.name)),
    path: forkPath(spec, dir),
    url: resolveUpstream(spec, flags, env, opts.from),
  }));
  return { root, manifest, targets };
}
