// `runm forks status`: per fork, its checkout against the pin and series, plus whether the
// upstream's default branch has moved past the pin (one ls-remote; null when unreachable).

import { gitTry } from "./git.ts";
import type { ForkSpec } from "./manifest.ts";
import type { SeriesPatch } from "./series.ts";
import { type ForkState, inspectFork } from "./state.ts";

export interface ForkStatus extends ForkState {
  describe: string | null;
  why: string;
  upstream: string;
  /** Commit of the upstream's HEAD, or null when not asked (--offline) or unreachable. */
  upstreamHead: string | null;
  upstreamMoved: boolean | null;
}

export async function forkStatus(
  spec: ForkSpec,
  series: SeriesPatch[],
  path: string,
  url: string,
  offline: boolean,
): Promise<ForkStatus> {
  const st = await inspectFork(spec, series, path);
  let upstreamHead: string | null = null;
  if (!offline) {
    const r = await gitTry("/", ["ls-remote", url, "HEAD"], { timeoutMs: 20_000 });
    upstreamHead = r.ok ? (r.stdout.split(/\s/)[0] ?? null) || null : null;
  }
  return {
    ...st,
    describe: spec.describe,
    why: spec.why,
    upstream: url,
    upstreamHead,
    upstreamMoved: upstreamHead ? upstreamHead !== spec.base : null,
  };
}
