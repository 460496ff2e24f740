// One containerd process: started on a config file, its output appended to a log file or handed
// over line by line, ready when `ctr version` answers on its socket, stopped by PID with SIGTERM
// then SIGKILL.
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { createInterface } from "node:readline";
import { failedPrecondition, unavailable } from "../errors.ts";
import { probe, run } from "../exec.ts";
import { requireTool } from "../tools.ts";
import { tailLines } from "../vm/console-log.ts";
import { guardArgv } from "../vm/guarded-spawn.ts";

export interface DaemonOptions {
  /** containerd binary (default: containerd on PATH, e.g. Debian's 1.6). */
  binary?: string;
  config: string;
  /** Its gRPC socket, polled until it answers. */
  address: string;
  /** The whole environment (containerd passes it on to every shim). */
  env: Record<string, string | undefined>;
  /** Where its output is appended, unless onLine takes it. */
  logFile: string;
  /** Every line it writes (stdout and stderr), instead of the log file. */
  onLine?: (line: string) => void;
  /**
   * Start it in its own process group, so that a terminal's Ctrl-C reaches only the caller, which
   * then deletes the tasks before it stops containerd.
   */
  ownProcessGroup?: boolean;
  readyTimeoutMs?: number;
}

export interface ContainerdDaemon {
  pid: number;
  /** Resolves with the exit code (or signal name) when containerd exits. */
  exited: Promise<number | string>;
  stop(timeoutMs?: number): Promise<void>;
}

const TAIL_LINES = 20;

export async function startDaemon(o: DaemonOptions): Promise<ContainerdDaemon> {
  const bin = o.binary ?? requireTool("containerd", "to run a private containerd");
  const ctr = requireTool("ctr", "to talk to containerd");
  if (process.getuid?.() !== 0)
    throw failedPrecondition("containerd needs root", { hint: "run this as root (e.g. with sudo)" });
  const out = o.onLine ? "pipe" : openSync(o.logFile, "a");
  let child: ChildProcess;
  try {
    // Guarded: a private containerd dies with the runm process that started it, even by SIGKILL
    // (its shims then exit when they find no containerd, and their VMs with them).
    const [cmd, ...args] = guardArgv([bin, "--config", o.config]);
    child = spawn(cmd as string, args, {
      detached: o.ownProcessGroup,
      stdio: ["ignore", out, out],
      env: o.env,
    });
  } finally {
    if (typeof out === "number") closeSync(out); // the child holds its own copy
  }
  child.once("error", () => {}); // a failed spawn leaves pid unset: reported just below
  const pid = child.pid;
  if (pid === undefined) throw unavailable(`could not start ${bin}`);

  const piped: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    createInterface({ input: stream }).on("line", (line) => {
      piped.push(line);
      if (piped.length > TAIL_LINES) piped.shift();
      o.onLine?.(line);
    });
  }
  const tail = () => (o.onLine ? piped : tailLines(o.logFile, TAIL_LINES));

  const exited = new Promise<number | string>((resolve) =>
    child.once("exit", (code, signal) => resolve(code ?? signal ?? "unknown")),
  );
  let done = false;
  exited.then(() => {
    done = true;
  });

  const stop = async (timeoutMs = 10_000) => {
    if (done) return;
    try {
      process.kill(pid, "SIGTERM");
    } catch {} // exited meanwhile
    const t = setTimeout(() => !done && process.kill(pid, "SIGKILL"), timeoutMs);
    await exited;
    clearTimeout(t);
  };

  const readyTimeoutMs = o.readyTimeoutMs ?? 20_000;
  const deadline = Date.now() + readyTimeoutMs;
  while (!done) {
    if ((await probe(ctr, ["--address", o.address, "version"], 3_000)) !== null) return { pid, exited, stop };
    if (Date.now() > deadline) {
      await stop();
      throw unavailable(`containerd did not answer on ${o.address} within ${readyTimeoutMs} ms`, {
        details: tail(),
      });
    }
    await Bun.sleep(100);
  }
  throw unavailable(`containerd exited during start (${await exited})`, {
    hint: "another containerd may use the same root or socket",
    details: tail(),
  });
}

/** "1.6.20~ds1", "2.1.9+unknown": the third field of `containerd --version`; major 1, 2. */
export async function containerdVersion(binary: string): Promise<{ version: string; major: number }> {
  const { stdout } = await run(binary, ["--version"]);
  const version = stdout.trim().split(/\s+/)[2]?.replace(/^v/, "") ?? "";
  return { version, major: Number(version.split(".")[0]) };
}
