// `runm forks install`: clone or fetch the upstream, put branch runm at the pinned base, apply the
// series with `git am --3way` one patch at a time. Idempotent; refuses a dirty fork or one with
// local commits it does not know; a conflict stops with the fork left for `git am --continue/--abort`.
import { failedPrecondition, notFound } from "../errors.ts";
import { logger } from "../log.ts";
import { conflictedPaths, git, gitTry, isGitCheckout, resolveCommit } from "./git.ts";
import type { ForkSpec } from "./manifest.ts";
import { cloneUpstream, fetchUpstream } from "./remote.ts";
import type { SeriesPatch } from "./series.ts";
import { assertTouchable, FORK_BRANCH, inspectFork } from "./state.ts";

const log = logger("forks");

export interface InstallResult {
  name: string;
  path: string;
  cloned: boolean;
  appliedNow: string[];
  /** Patches on the branch that differ from their series file (conflicts resolved by hand). */
  modified: string[];
  /** True when nothing had to change. */
  unchanged: boolean;
}

async function ensureBase(spec: ForkSpec, path: string, url: string): Promise<void> {
  if (await resolveCommit(path, spec.base)) return;
  await fetchUpstream(path, url);
  if (!(await resolveCommit(path, spec.base)))
    throw notFound(`pinned commit ${spec.base} of ${spec.name} is not in ${url}`, {
      hint: "the upstream may have rewritten history: pick a new pin with runm forks sync NAME --to REF",
    });
}

/** Apply patches with git am --3way, one at a time so progress and conflicts name the patch. */
export async function applyPatches(name: string, path: string, patches: SeriesPatch[]): Promise<string[]> {
  const done: string[] = [];
  for (const p of patches) {
    log.info(`${name}: applying ${p.file}`);
    const r = await gitTry(path, ["am", "--3way", p.path]);
    if (!r.ok) {
      const files = await conflictedPaths(path);
      throw failedPrecondition(
        `${name}: patch ${p.file} does not apply${files.length ? `; conflicts in ${files.join(", ")}` : ""}`,
        {
          hint: `resolve in ${path}, git add the files and run git -C ${path} am --continue, then run install again; or give up with git -C ${path} am --abort`,
          details: r.stderr.trim().split("\n").filter(Boolean).slice(-6),
        },
      );
    }
    done.push(p.file);
  }
  return done;
}

export async function installFork(
  spec: ForkSpec,
  series: SeriesPatch[],
  path: string,
  url: string,
): Promise<InstallResult> {
  const res: InstallResult = {
    name: spec.name,
    path,
    cloned: false,
    appliedNow: [],
    modified: [],
    unchanged: false,
  };
  if (!isGitCheckout(path)) {
    await cloneUpstream(spec.name, path, url);
    res.cloned = true;
    // A --no-checkout clone has an empty index (it would look dirty): check out the pin first.
    await ensureBase(spec, path, url);
    await git(path, ["checkout", "--quiet", "-b", FORK_BRANCH, spec.base]);
  }
  let st = await inspectFork(spec, series, path);
  assertTouchable(st);
  await ensureBase(spec, path, url);
  if (!st.installed) {
    await git(path, ["checkout", "--quiet", "-b", FORK_BRANCH, spec.base]);
    st = await inspectFork(spec, series, path);
  } else if (!st.onBase) {
    throw failedPrecondition(
      `${spec.name}: branch ${FORK_BRANCH} in ${path} is not on the pinned base ${spec.base.slice(0, 12)}`,
      {
        hint: `keep your work with git -C ${path} branch -m ${FORK_BRANCH} ${FORK_BRANCH}-old, then run install again`,
      },
    );
  }
  if (st.extra.length)
    throw failedPrecondition(
      `${spec.name}: branch ${FORK_BRANCH} has ${st.extra.length} commit(s) not in the series`,
      {
        hint: `save them into the series with runm forks export ${spec.name}, or move them away with git -C ${path} branch -m ${FORK_BRANCH} ${FORK_BRANCH}-old`,
        details: st.extra.map((c) => `${c.commit.slice(0, 12)} ${c.subject}`),
      },
    );
  if (st.branch !== FORK_BRANCH) await git(path, ["checkout", "--quiet", FORK_BRANCH]);
  const pending = series.filter((p) => st.pending.includes(p.file));
  res.appliedNow = await applyPatches(spec.name, path, pending);
  res.modified = st.modified;
  if (st.modified.length)
    log.warn(
      `${spec.name}: ${st.modified.join(", ")} applied with changes; run runm forks export ${spec.name} to keep them`,
    );
  res.unchanged = !res.cloned && !res.appliedNow.length && st.branch === FORK_BRANCH;
  return res;
}
