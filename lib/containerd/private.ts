// A private containerd for tests and dev: its own config, root, state and sockets under a temp
// dir, started and stopped by PID. Nothing of the host's containerd is touched.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { internal, RunmError, unavailable } from "../errors.ts";
import { run } from "../exec.ts";
import { writeFileAtomic } from "../fs-atomic.ts";
import { logger } from "../log.ts";
import { requireTool } from "../tools.ts";
import { type PrivateConfigOptions, type PrivateLayout, privateConfig, privateLayout } from "./config.ts";

const log = logger("containerd");

export interface PrivateContainerd extends PrivateLayout {
  pid: number;
  /** Run ctr against this daemon; throws RunmError with ctr's stderr on failure. */
  ctr(args: string[], opts?: { namespace?: string; timeout?: number; input?: string }): Promise<string>;
  /** The containerd binary's path (for `ctr --address` callers and shims' -publish-binary). */
  binary: string;
  /** Stop the daemon by PID (SIGTERM, then SIGKILL), unmount leftovers and remove the dir. */
  stop(): Promise<void>;
}

export interface StartOptions extends PrivateConfigOptions {
  /** containerd binary (default: containerd on PATH, e.g. Debian's 1.6). */
  binary?: string;
  /** Extra dirs put first on the daemon's PATH (where it finds containerd-shim-runm-v2). */
  path?: string[];
  /** Parent of the temp dir (default: the OS temp dir). Keep it short: unix socket paths ≤ 107. */
  parent?: string;
  /** Extra environment for the daemon (and so for every shim it starts); may use the layout. */
  env?: Record<string, string> | ((l: PrivateLayout) => Record<string, string>);
}

export async function startPrivateContainerd(o: StartOptions = {}): Promise<PrivateContainerd> {
  const binary = o.binary ?? requireTool("containerd", "to run a private containerd");
  const ctrBin = requireTool("ctr", "to talk to the private containerd");
  const dir = mkdtempSync(join(o.parent ?? tmpdir(), "runm-ctd-"));
  const l = privateLayout(dir);
  mkdirSync(l.bin, { recursive: true });
  await writeFileAtomic(l.config, privateConfig(l, o));
  const out = openSync(l.log, "a");
  const child: ChildProcess = spawn(binary, ["--config", l.config], {
    stdio: ["ignore", out, out],
    env: {
      ...process.env,
      ...(typeof o.env === "function" ? o.env(l) : o.env),
      PATH: [...(o.path ?? []), l.bin, process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin"].join(":"),
    },
  });
  const pid = child.pid;
  if (pid === undefined) throw internal(`could not start ${binary}`);
  let exited = false;
  child.once("exit", () => {
    exited = true;
  });

  const ctr: PrivateContainerd["ctr"] = async (args, c = {}) => {
    const r = await run(ctrBin, ["--address", l.address, "--namespace", c.namespace ?? "default", ...args], {
      timeout: c.timeout ?? 120_000,
      input: c.input,
      what: `ctr ${args[0] ?? ""}`,
    });
    return r.stdout;
  };

  const stop = async () => {
    if (!exited) {
      process.kill(pid, "SIGTERM");
      for (let i = 0; i < 100 && !exited; i++) await Bun.sleep(50);
      if (!exited) process.kill(pid, "SIGKILL");
      for (let i = 0; i < 40 && !exited; i++) await Bun.sleep(50);
    }
    await unmountUnder(dir);
    rmSync(dir, { recursive: true, force: true });
  };

  // Ready when the API answers.
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (exited) {
      const tail = readFileSync(l.log, "utf8").trim().split("\n").slice(-8);
      await stop();
      throw new RunmError("Unavailable", `containerd exited during startup`, { details: tail });
    }
    if (existsSync(l.address)) {
      try {
        await ctr(["version"], { timeout: 5000 });
        break;
      } catch {}
    }
    if (Date.now() > deadline) {
      await stop();
      throw unavailable("private containerd did not answer within 20 s", { hint: `see its log: ${l.log}` });
    }
    await Bun.sleep(50);
  }
  log.debug(`private containerd pid ${pid} at ${l.address}`);
  return { ...l, pid, ctr, binary, stop };
}

/** Unmount anything still mounted under dir (deepest first), e.g. after a crashed task. */
export async function unmountUnder(dir: string): Promise<void> {
  const mounts = readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((line) => line.split(" ")[4] ?? "")
    .filter((p) => p === dir || p.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts)
    await run("umount", ["-l", m], { what: "unmount a leftover mount" }).catch(() => {});
}
