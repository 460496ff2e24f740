// One containerd child process: started in its own process group (so a terminal's Ctrl-C reaches
// runm first, which tears down tasks before containerd), ready when `ctr version` answers on its
// socket, stopped by PID with SIGTERM then SIGKILL.
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { failedPrecondition, unavailable } from "../errors.ts";
import { probe } from "../exec.ts";
import { requireTool } from "../tools.ts";

export interface ContainerdChild {
  pid: number;
  /** Resolves with the exit code (or signal name) when containerd exits. */
  exited: Promise<number | string>;
  stop(timeoutMs?: number): Promise<void>;
}

export interface StartOptions {
  config: string;
  socket: string;
  env?: Record<string, string | undefined>;
  /** Every line containerd writes (stdout and stderr). */
  onLine?: (line: string) => void;
  readyTimeoutMs?: number;
}

export async function startContainerd(opts: StartOptions): Promise<ContainerdChild> {
  const bin = requireTool("containerd", "to run a private containerd");
  if (process.getuid?.() !== 0)
    throw failedPrecondition("containerd needs root", { hint: "run this as root (e.g. with sudo)" });
  const child: ChildProcess = spawn(bin, ["--config", opts.config], {
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...opts.env },
  });
  const pid = child.pid;
  if (pid === undefined) throw unavailable(`could not start ${bin}`);
  const tail: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    createInterface({ input: stream }).on("line", (line) => {
      tail.push(line);
      if (tail.length > 20) tail.shift();
      opts.onLine?.(line);
    });
  }
  const exited = new Promise<number | string>((resolve) =>
    child.once("exit", (code, signal) => resolve(code ?? signal ?? "unknown")),
  );
  let done = false;
  exited.then(() => {
    done = true;
  });

  const stop = async (timeoutMs = 10_000) => {
    if (done) return;
    process.kill(pid, "SIGTERM");
    const t = setTimeout(() => !done && process.kill(pid, "SIGKILL"), timeoutMs);
    await exited;
    clearTimeout(t);
  };

  const deadline = Date.now() + (opts.readyTimeoutMs ?? 20_000);
  while (!done) {
    if ((await probe("ctr", ["--address", opts.socket, "version"], 3_000)) !== null)
      return { pid, exited, stop };
    if (Date.now() > deadline) {
      await stop();
      throw unavailable(
        `containerd did not answer on ${opts.socket} within ${opts.readyTimeoutMs ?? 20_000} ms`,
        {
          details: tail,
        },
      );
    }
    await Bun.sleep(100);
  }
  throw unavailable(`containerd exited during start (${await exited})`, {
    hint: "see its log lines above; another containerd may use the same root or socket",
    details: tail,
  });
}
