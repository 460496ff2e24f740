// `runm forks sync NAME --to REF`: rebase the series onto a new upstream commit. On success the
// manifest pin moves and the series is re-exported; on a conflict the rebase is left for the user
// to continue (then sync again records the pin) or abort (the old pin stays).
import { failedPrecondition, notFound } from "../errors.ts";
import { logger } from "../log.ts";
import { exportFork } from "./export.ts";
import { conflictedPaths, git, gitTry, isAncestor, resolveCommit } from "./git.ts";
import { type ForkSpec, type Manifest, saveManifest, seriesDir } from "./manifest.ts";
import { fetchUpstream, UPSTREAM_REMOTE } from "./remote.ts";
import type { SeriesPatch } from "./series.ts";
import { assertTouchable, FORK_BRANCH, inspectFork } from "./state.ts";

const log = logger("forks");

export interface SyncResult {
  name: string;
  from: string;
  to: string;
  describe: string | null;
  files: string[];
  unchanged: boolean;
}

async function resolveRef(path: string, ref: string): Promise<string | null> {
  for (const r of [`refs/tags/${ref}`, `refs/remotes/${UPSTREAM_REMOTE}/${ref}`, ref]) {
    const c = await resolveCommit(path, r);
    if (c) return c;
  }
  return null;
}

export async function syncFork(opts: {
  root: string;
  manifest: Manifest;
  spec: ForkSpec;
  series: SeriesPatch[];
  path: string;
  url: string;
  to: string;
}): Promise<SyncResult> {
  const { root, manifest, spec, series, path, url, to } = opts;
  const st = await inspectFork(spec, series, path);
  if (!st.installed)
    throw failedPrecondition(`fork ${spec.name} is not installed at ${path}`, {
      hint: `install it first with: runm forks install ${spec.name}`,
    });
  assertTouchable(st);
  await fetchUpstream(path, url);
  const target = await resolveRef(path, to);
  if (!target)
    throw notFound(`${to} is not a commit, tag or branch of ${url}`, {
      hint: "give a tag, branch or commit id",
    });
  const from = spec.base;
  const result = {
    name: spec.name,
    from,
    to: target,
    describe: spec.describe,
    files: [] as string[],
    unchanged: false,
  };
  if (target === from) return { ...result, unchanged: true };
  const runm = (await resolveCommit(path, `refs/heads/${FORK_BRANCH}`)) as string;
  // A rebase the user finished by hand after a conflict: only the pin is left to record.
  // (target is then below runm, but not below the old pin as it would be for a downgrade).
  const resumed = (await isAncestor(path, target, runm)) && !(await isAncestor(path, target, from));
  if (!resumed) {
    if (!st.onBase || st.extra.length || st.pending.length)
      throw failedPrecondition(`${spec.name}: branch ${FORK_BRANCH} does not match the series`, {
        hint: `run runm forks install ${spec.name} (pending patches) or runm forks export ${spec.name} (extra commits) first`,
      });
    log.info(
      `${spec.name}: rebasing ${series.length} patch(es) from ${from.slice(0, 12)} onto ${to} (${target.slice(0, 12)})`,
    );
    await git(path, ["checkout", "--quiet", FORK_BRANCH]);
    const r = await gitTry(path, ["rebase", "--onto", target, from, FORK_BRANCH]);
    if (!r.ok) {
      const files = await conflictedPaths(path);
      const stopped = await gitTry(path, ["log", "-1", "--format=%s", "REBASE_HEAD"]);
      throw failedPrecondition(
        `${spec.name}: rebasing onto ${to} stopped at "${stopped.stdout.trim() || "?"}"${files.length ? `; conflicts in ${files.join(", ")}` : ""}`,
        {
          hint: `resolve in ${path}, git add the files, git -C ${path} rebase --continue, then run runm forks sync ${spec.name} --to ${to} again to record the pin; or keep the old pin with git -C ${path} rebase --abort`,
          details: r.stderr.trim().split("\n").filter(Boolean).slice(-6),
        },
      );
    }
  }
  const d = await gitTry(path, ["describe", "--tags", target]);
  const moved: ForkSpec = { ...spec, base: target, describe: d.ok ? d.stdout.trim() : null };
  const files = await exportFork(moved, path, seriesDir(root, spec.name));
  manifest.forks = manifest.forks.map((f) => (f.name === spec.name ? moved : f));
  await saveManifest(root, manifest);
  return { ...result, describe: moved.describe, files };
}
