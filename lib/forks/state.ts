// What a fork checkout looks like against its manifest entry and series: which patches are on
// branch runm (matched by stable patch id, so a rebase that shifts lines still matches), which are
// pending, which local commits are extra, and whether the tree is dirty or mid-operation.
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { failedPrecondition } from "../errors.ts";
import { REPO_ROOT } from "../paths.ts";
import {
  commitsOnTop,
  dirtyPaths,
  gitTry,
  isAncestor,
  isGitCheckout,
  patchId,
  pendingOperation,
  resolveCommit,
} from "./git.ts";
import type { ForkSpec } from "./manifest.ts";
import type { SeriesPatch } from "./series.ts";

export const FORK_BRANCH = "runm";

/** Where forks are checked out by default: siblings of the runm checkout. */
export const defaultForksDir = () => dirname(REPO_ROOT);
export const forkPath = (spec: ForkSpec, dir = defaultForksDir()) => resolve(join(dir, spec.dir));

export interface ForkState {
  name: string;
  path: string;
  installed: boolean;
  /** Branch checked out, or null when detached. */
  branch: string | null;
  head: string | null;
  base: string;
  /** The pinned base is present in the checkout and is an ancestor of branch runm. */
  onBase: boolean;
  applied: string[];
  /** Applied patches whose commit differs from the series file (a resolved conflict): export them. */
  modified: string[];
  pending: string[];
  extra: { commit: string; subject: string }[];
  dirty: string[];
  operation: "am" | "rebase" | null;
}

export async function seriesIds(cwd: string, series: SeriesPatch[]): Promise<string[]> {
  const ids: string[] = [];
  for (const p of series) ids.push(await patchId(cwd, p.text));
  return ids;
}

export async function inspectFork(spec: ForkSpec, series: SeriesPatch[], path: string): Promise<ForkState> {
  const st: ForkState = {
    name: spec.name,
    path,
    installed: false,
    branch: null,
    head: null,
    base: spec.base,
    onBase: false,
    applied: [],
    modified: [],
    pending: series.map((p) => p.file),
    extra: [],
    dirty: [],
    operation: null,
  };
  if (!existsSync(path) || !isGitCheckout(path)) return st;
  st.operation = pendingOperation(path);
  st.dirty = await dirtyPaths(path);
  const br = await gitTry(path, ["symbolic-ref", "--quiet", "--short", "HEAD"]);
  st.branch = br.ok ? br.stdout.trim() : null;
  st.head = await resolveCommit(path, "HEAD");
  const runm = await resolveCommit(path, `refs/heads/${FORK_BRANCH}`);
  if (!runm) return st;
  st.installed = true;
  if (!(await resolveCommit(path, spec.base)) || !(await isAncestor(path, spec.base, runm))) return st;
  st.onBase = true;
  const commits = await commitsOnTop(path, spec.base, runm);
  const ids = await seriesIds(path, series);
  // In order: same patch id, or (a conflict resolved by hand during git am) the same subject.
  let k = 0;
  for (; k < commits.length && k < series.length; k++) {
    const c = commits[k] as { patchId: string; subject: string };
    const p = series[k] as SeriesPatch;
    if (c.patchId === ids[k]) continue;
    if (c.subject !== p.subject) break;
    st.modified.push(p.file);
  }
  st.applied = series.slice(0, k).map((p) => p.file);
  st.pending = series.slice(k).map((p) => p.file);
  st.extra = commits.slice(k).map(({ commit, subject }) => ({ commit, subject }));
  return st;
}

/** Refuse to touch a fork with uncommitted changes or a half-done git am/rebase. */
export function assertTouchable(st: ForkState): void {
  if (st.operation)
    throw failedPrecondition(`fork ${st.name} at ${st.path} has a git ${st.operation} in progress`, {
      hint: `finish it with: git -C ${st.path} ${st.operation} --continue (or give up with --abort), then run again`,
    });
  if (st.dirty.length)
    throw failedPrecondition(
      `fork ${st.name} at ${st.path} has uncommitted changes (${st.dirty.length} paths)`,
      {
        hint: `commit them (then runm forks export ${st.name}) or discard them with: git -C ${st.path} stash`,
        details: st.dirty.slice(0, 8),
      },
    );
}
