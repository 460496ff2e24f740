// Thin git runner for the fork commands: C locale (messages are parsed), no credential prompts,
// a committer identity when the user has none (git am and rebase need one), and a non-throwing
// form for commands whose failure is an answer (conflicts, missing refs).
import { existsSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { RunmError } from "../errors.ts";
import { requireTool } from "../tools.ts";

export interface GitResult {
  ok: boolean;
  stdout: string;
  stderr: string;
}

const BASE_ENV = { LC_ALL: "C", GIT_TERMINAL_PROMPT: "0", GIT_ASKPASS: "", GIT_EDITOR: "true" };
const FALLBACK_IDENT = {
  GIT_COMMITTER_NAME: "runm forks",
  GIT_COMMITTER_EMAIL: "runm-forks@localhost",
  GIT_AUTHOR_NAME: "runm forks",
  GIT_AUTHOR_EMAIL: "runm-forks@localhost",
};

export interface GitOptions {
  input?: string;
  /** Stream git's stderr (clone/fetch progress) to ours instead of capturing it. */
  progress?: boolean;
  timeoutMs?: number;
}

/** Run git in cwd; never throws for a non-zero exit. */
export async function gitTry(cwd: string, args: string[], opts: GitOptions = {}): Promise<GitResult> {
  const file = requireTool("git", "to manage the forks");
  const hasIdent = process.env.GIT_COMMITTER_EMAIL || (await identityConfigured(file, cwd));
  const r = await execa(file, args, {
    cwd,
    env: { ...BASE_ENV, ...(hasIdent ? {} : FALLBACK_IDENT) },
    input: opts.input,
    reject: false,
    stripFinalNewline: true,
    encoding: "utf8",
    stderr: opts.progress ? "inherit" : "pipe",
    timeout: opts.timeoutMs,
  });
  return { ok: r.exitCode === 0, stdout: String(r.stdout ?? ""), stderr: String(r.stderr ?? "") };
}

/** Run git in cwd; a non-zero exit throws RunmError with the command and git's last lines. */
export async function git(cwd: string, args: string[], opts: GitOptions = {}): Promise<string> {
  const r = await gitTry(cwd, args, opts);
  if (!r.ok) {
    const tail = r.stderr.trim().split("\n").filter(Boolean).slice(-8);
    throw new RunmError("Internal", `git ${args.join(" ")} failed in ${cwd}`, { details: tail });
  }
  return r.stdout;
}

const identCache = new Map<string, boolean>();
async function identityConfigured(file: string, cwd: string): Promise<boolean> {
  const cached = identCache.get(cwd);
  if (cached !== undefined) return cached;
  const r = await execa(file, ["config", "user.email"], { cwd, reject: false, env: BASE_ENV });
  const ok = r.exitCode === 0 && String(r.stdout).trim() !== "";
  identCache.set(cwd, ok);
  return ok;
}

/** Commit id of rev, or null if it does not name a commit here. */
export async function resolveCommit(cwd: string, rev: string): Promise<string | null> {
  const r = await gitTry(cwd, ["rev-parse", "--verify", "--quiet", `${rev}^{commit}`]);
  return r.ok ? r.stdout.trim() : null;
}

export async function isAncestor(cwd: string, a: string, b: string): Promise<boolean> {
  return (await gitTry(cwd, ["merge-base", "--is-ancestor", a, b])).ok;
}

/** Paths with uncommitted changes (tracked or untracked), as `git status --porcelain` lines. */
export async function dirtyPaths(cwd: string): Promise<string[]> {
  const out = await git(cwd, ["status", "--porcelain", "--untracked-files=normal"]);
  return out.split("\n").filter(Boolean);
}

export async function conflictedPaths(cwd: string): Promise<string[]> {
  const r = await gitTry(cwd, ["diff", "--name-only", "--diff-filter=U"]);
  return r.stdout.split("\n").filter(Boolean);
}

/** The operation left half-done in a fork, if any. */
export function pendingOperation(cwd: string): "am" | "rebase" | null {
  const gitDir = join(cwd, ".git");
  if (existsSync(join(gitDir, "rebase-apply", "applying"))) return "am";
  if (existsSync(join(gitDir, "rebase-merge")) || existsSync(join(gitDir, "rebase-apply"))) return "rebase";
  return null;
}

export const isGitCheckout = (dir: string) => existsSync(join(dir, ".git"));

/** Stable patch id of one patch or diff text (ignores line numbers and whitespace). */
export async function patchId(cwd: string, patch: string): Promise<string> {
  const out = await git(cwd, ["patch-id", "--stable"], { input: patch });
  return out.split(" ")[0] ?? "";
}

/** Commits in base..head, oldest first, with their subjects and patch ids. */
export async function commitsOnTop(
  cwd: string,
  base: string,
  head: string,
): Promise<{ commit: string; subject: string; patchId: string }[]> {
  const out = await git(cwd, ["rev-list", "--reverse", "--no-merges", `${base}..${head}`]);
  const list = [];
  for (const commit of out.split("\n").filter(Boolean)) {
    const subject = await git(cwd, ["log", "-1", "--format=%s", commit]);
    const diff = await git(cwd, ["show", "--format=", "--full-index", commit]);
    list.push({ commit, subject, patchId: await patchId(cwd, diff) });
  }
  return list;
}
