// Running host tools. Every spawn goes through here so that a missing tool names its package and
// a failing one shows its command and the tail of its stderr, not a stack trace.
import { execa } from "execa";
import { messageOf, RunmError } from "./errors.ts";
import { requireTool } from "./tools.ts";

export interface RunOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  input?: string | Uint8Array;
  timeout?: number;
  /** Shown in errors: what this command was for. */
  what?: string;
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

/** Run a tool to completion and capture its output; throws RunmError on a non-zero exit. */
export async function run(tool: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const file = tool.includes("/") ? tool : requireTool(tool, opts.what);
  const { what, ...rest } = opts;
  try {
    const r = await execa(file, args, { ...rest, stripFinalNewline: true, reject: true, encoding: "utf8" });
    return { stdout: String(r.stdout), stderr: String(r.stderr) };
  } catch (e) {
    const err = e as { stderr?: string; exitCode?: number; timedOut?: boolean; shortMessage?: string };
    const tail = String(err.stderr ?? "")
      .trim()
      .split("\n")
      .slice(-8);
    const status = err.timedOut ? "timed out" : `exited with ${err.exitCode ?? "a signal"}`;
    throw new RunmError("Internal", `${what ?? tool} failed: ${[tool, ...args].join(" ")} ${status}`, {
      cause: e,
      details: tail.filter(Boolean).length ? tail : [err.shortMessage ?? messageOf(e)],
    });
  }
}

/** First line of `tool args`, or null if the tool is missing or fails (for version probes). */
export async function probe(file: string, args: string[], timeoutMs = 10_000): Promise<string | null> {
  try {
    const r = await execa(file, args, { timeout: timeoutMs, reject: true, encoding: "utf8", all: true });
    return String(r.all ?? "").trim();
  } catch {
    return null;
  }
}
