// The runc driver: every runc invocation the agent makes, with its own --root state dir. runc's
// own messages go to a per-call JSON log file (--log), because its stdio may be the container's
// pipes; failures become RunmError with runc's message, kind chosen from it.

import { existsSync } from "node:fs";
import { mkdir, readFile, rm } from "node:fs/promises";
import { basename, join } from "node:path";
import { failedPrecondition, RunmError } from "../lib/errors.ts";
import { startThroughExecFifo } from "./exec-fifo.ts";
import type { Reaper } from "./sys/reaper.ts";

export interface RuncOptions {
  binary: string;
  /** runc --root: its state dir. */
  root: string;
  /** Where per-call log files go. */
  logDir: string;
  reaper: Reaper;
}

/** stdin, stdout, stderr for runc (and so for a detached container process): fds or "ignore". */
export type ChildStdio = [number | "ignore", number | "ignore", number | "ignore"];

export interface RuncState {
  id: string;
  pid: number;
  status: "created" | "running" | "paused" | "stopped" | "pausing";
  bundle: string;
}

/** The runc binary as an absolute path, or FailedPrecondition naming the fix. */
export function resolveRunc(runc: string): string {
  const found = runc.includes("/") ? (existsSync(runc) ? runc : null) : Bun.which(runc);
  if (found) return found;
  throw failedPrecondition(`runc not found at ${runc}`, {
    hint: runc.includes("/mbin/")
      ? "the mbin squashfs lacks runc: rebuild the guest image with runm build all"
      : "install it with: apt-get install runc, or pass --runc PATH",
  });
}

let seq = 0;

export class Runc {
  constructor(readonly opts: RuncOptions) {}

  /** Drive another OCI runtime binary (crun speaks runc's CLI), with a state dir of its own. */
  use(binary: string): void {
    if (binary === this.opts.binary) return;
    this.opts.binary = binary;
    this.opts.root = `${this.opts.root}-${binary.split("/").pop()}`;
  }

  async version(): Promise<string> {
    const { stdout } = await this.run(["--version"]);
    return stdout.split("\n")[0]?.replace(/^runc version /, "") ?? "";
  }

  create(id: string, bundle: string, pidFile: string, stdio: ChildStdio, consoleSocket?: string) {
    const tty = consoleSocket ? ["--console-socket", consoleSocket] : [];
    return this.run(["create", "--bundle", bundle, "--pid-file", pidFile, ...tty, id], stdio);
  }

  /**
   * Let a created container's process run. runc's is started through its exec FIFO, as `runc start`
   * itself does, without the cost of a runc process (agent/exec-fifo.ts); other runtimes (crun)
   * are asked. `initExited` resolves when the container's init exits.
   */
  async start(id: string, initExited: Promise<unknown>): Promise<void> {
    if (basename(this.opts.binary) === "runc")
      return startThroughExecFifo(id, join(this.opts.root, id, "exec.fifo"), initExited);
    await this.run(["start", id]);
  }

  execDetached(id: string, processJson: string, pidFile: string, stdio: ChildStdio, consoleSocket?: string) {
    const tty = consoleSocket ? ["--console-socket", consoleSocket] : [];
    return this.run(["exec", "--detach", "--process", processJson, "--pid-file", pidFile, ...tty, id], stdio);
  }

  kill(id: string, signal: number, all: boolean) {
    return this.run(["kill", ...(all ? ["--all"] : []), id, String(signal)]);
  }

  delete(id: string, force: boolean) {
    return this.run(["delete", ...(force ? ["--force"] : []), id]);
  }

  pause(id: string) {
    return this.run(["pause", id]);
  }

  resume(id: string) {
    return this.run(["resume", id]);
  }

  update(id: string, resourcesJson: string) {
    return this.run(["update", "--resources", "-", id], ["ignore", "ignore", "ignore"], resourcesJson);
  }

  async state(id: string): Promise<RuncState> {
    const { stdout } = await this.run(["state", id]);
    return JSON.parse(stdout) as RuncState;
  }

  async ps(id: string): Promise<number[]> {
    const { stdout } = await this.run(["ps", "--format", "json", id]);
    return (JSON.parse(stdout) as number[] | null) ?? [];
  }

  /** Run runc to completion. With `stdio` the child gets those fds and output is not captured. */
  private async run(args: string[], stdio?: ChildStdio, input?: string): Promise<{ stdout: string }> {
    const { binary, root, logDir, reaper } = this.opts;
    await mkdir(logDir, { recursive: true });
    seq += 1;
    const logFile = join(logDir, `runc-${process.pid}-${seq}.log`);
    const argv = [binary, "--root", root, "--log", logFile, "--log-format", "json", ...args];
    const capture = stdio === undefined || input !== undefined;
    const proc = Bun.spawn(argv, {
      stdin: input !== undefined ? new TextEncoder().encode(input) : (stdio?.[0] ?? "ignore"),
      stdout: capture ? "pipe" : (stdio?.[1] ?? "ignore"),
      stderr: capture ? "pipe" : (stdio?.[2] ?? "ignore"),
    });
    reaper.ownedByBun(proc.pid, proc.exited);
    const [code, stdout, stderr] = await Promise.all([
      proc.exited,
      capture ? new Response(proc.stdout as ReadableStream).text() : "",
      capture ? new Response(proc.stderr as ReadableStream).text() : "",
    ]);
    const log = await readFile(logFile, "utf8").catch(() => "");
    await rm(logFile, { force: true });
    if (code !== 0) throw runcError(args, code, errorLines(log, stderr));
    return { stdout };
  }
}

/** runc's error messages from its JSON log, else its stderr. */
export function errorLines(log: string, stderr: string): string {
  const msgs: string[] = [];
  for (const line of log.split("\n")) {
    if (!line.trim()) continue;
    try {
      const j = JSON.parse(line) as { level?: string; msg?: string };
      if (j.level === "error" || j.level === "fatal") msgs.push(j.msg ?? "");
    } catch {
      msgs.push(line);
    }
  }
  return (msgs.length ? msgs.join("; ") : stderr.trim()) || "no message";
}

/** Choose the error kind from runc's message: the client sees NotFound etc. */
export function runcError(args: string[], code: number, msg: string): RunmError {
  const what = `runc ${args[0]} failed (exit ${code}): ${msg}`;
  if (/does not exist|not found|no such process/i.test(msg)) return new RunmError("NotFound", what);
  if (/already exists/i.test(msg)) return new RunmError("AlreadyExists", what);
  if (
    /not running|is paused|is not paused|cannot (start|pause|resume|delete|kill)|stopped|created/i.test(msg)
  ) {
    return new RunmError("FailedPrecondition", what);
  }
  return new RunmError("Internal", what);
}
