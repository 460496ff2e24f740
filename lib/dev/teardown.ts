// Leaving nothing behind. Shims outlive containerd by design, so before stopping it runm deletes
// every task (containerd then shuts each shim down, and the shim its VM). Anything still alive
// afterwards is found by PID through its command line, which names this containerd's socket or
// state dir (a shim's `-address SOCK`, a VM's bundle paths), and killed by PID.
import { readdirSync, readFileSync } from "node:fs";
import { run } from "../exec.ts";
import { logger } from "../log.ts";
import type { ContainerdLayout } from "./layout.ts";

const log = logger("dev");

async function ctr(l: ContainerdLayout, ns: string, args: string[]): Promise<string> {
  const { stdout } = await run("ctr", ["--address", l.socket, "--namespace", ns, ...args], {
    timeout: 60_000,
  });
  return stdout;
}
const lines = (s: string) =>
  s
    .split("\n")
    .map((x) => x.trim())
    .filter(Boolean);

/** Force-delete every task and container in every namespace. Errors are logged, not thrown. */
export async function deleteAllTasks(l: ContainerdLayout): Promise<void> {
  let namespaces: string[] = [];
  try {
    namespaces = lines(await ctr(l, "default", ["namespaces", "ls", "-q"]));
  } catch (e) {
    log.debug(`listing namespaces failed: ${(e as Error).message}`);
    return;
  }
  for (const ns of namespaces) {
    const tasks = lines(await ctr(l, ns, ["tasks", "ls", "-q"]).catch(() => ""));
    await Promise.all(
      tasks.map((id) =>
        ctr(l, ns, ["tasks", "delete", "--force", id]).catch((e) =>
          log.warn(`could not delete task ${ns}/${id}: ${(e as Error).message}`),
        ),
      ),
    );
    for (const id of lines(await ctr(l, ns, ["containers", "ls", "-q"]).catch(() => ""))) {
      await ctr(l, ns, ["containers", "delete", id]).catch((e) =>
        log.warn(`could not delete container ${ns}/${id}: ${(e as Error).message}`),
      );
    }
  }
}

/** PIDs (other than ours) whose command line mentions any of `needles`. */
export function findProcesses(needles: string[], procDir = "/proc"): number[] {
  const self = new Set([process.pid, process.ppid]);
  const out: number[] = [];
  for (const name of readdirSync(procDir)) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || self.has(pid)) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`${procDir}/${name}/cmdline`, "utf8").replaceAll("\0", " ");
    } catch {
      continue; // exited meanwhile
    }
    if (needles.some((n) => cmdline.includes(n))) out.push(pid);
  }
  return out;
}

/**
 * The processes started under this layout: shims (their `-address` is the socket) and VMs (their
 * shares name bundle and snapshot paths under the state and root dirs).
 */
export function leftoverProcesses(l: ContainerdLayout): number[] {
  return findProcesses([l.socket, `${l.state}/`, `${l.root}/`, `${l.logs}/`]);
}

/** True while `pid` runs; a zombie (exited, not yet reaped by its parent) counts as gone. */
export function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}
const alive = isRunning;

/** SIGTERM each PID, then SIGKILL whatever is still alive after `graceMs`. */
export async function killPids(pids: number[], graceMs = 3_000): Promise<void> {
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGTERM");
    } catch {}
  }
  const deadline = Date.now() + graceMs;
  while (pids.some(alive) && Date.now() < deadline) await Bun.sleep(50);
  for (const pid of pids.filter(alive)) {
    log.warn(`pid ${pid} ignored SIGTERM; killing it`);
    try {
      process.kill(pid, "SIGKILL");
    } catch {}
  }
}
