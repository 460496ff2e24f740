// Leaving nothing behind. Shims outlive containerd by design, so before stopping it runm deletes
// every task (containerd then shuts each shim down, and the shim its VM). Anything still alive
// afterwards is found by PID through its command line, which names a path under containerd's dir
// (a shim's `-address SOCK`, a VM's bundle paths), and killed by PID.
import { readdirSync, readFileSync } from "node:fs";
import { logger } from "../log.ts";
import { identify, type ProcessIdentity, stopVerified } from "../sys/proc.ts";
import type { ContainerdLayout } from "./config.ts";
import type { Ctr } from "./ctr.ts";

const log = logger("containerd");

const lines = (s: string) =>
  s
    .split("\n")
    .map((x) => x.trim())
    .filter(Boolean);

/** Force-delete every task and container in every namespace. Errors are logged, not thrown. */
export async function deleteAllTasks(ctr: Ctr): Promise<void> {
  const timeout = 60_000;
  let namespaces: string[] = [];
  try {
    namespaces = lines(await ctr(["namespaces", "ls", "-q"], { timeout }));
  } catch (e) {
    log.debug(`listing namespaces failed: ${(e as Error).message}`);
    return;
  }
  for (const ns of namespaces) {
    const inNs = { namespace: ns, timeout };
    const tasks = lines(await ctr(["tasks", "ls", "-q"], inNs).catch(() => ""));
    await Promise.all(
      tasks.map((id) =>
        ctr(["tasks", "delete", "--force", id], inNs).catch((e) =>
          log.warn(`could not delete task ${ns}/${id}: ${(e as Error).message}`),
        ),
      ),
    );
    for (const id of lines(await ctr(["containers", "ls", "-q"], inNs).catch(() => ""))) {
      await ctr(["containers", "delete", id], inNs).catch((e) =>
        log.warn(`could not delete container ${ns}/${id}: ${(e as Error).message}`),
      );
    }
  }
}

/**
 * PIDs (other than ours) whose command line mentions any of `needles` and, with `program`, whose
 * argv[0] base name matches it.
 */
export function findProcesses(needles: string[], program?: RegExp): number[] {
  const self = new Set([process.pid, process.ppid]);
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || self.has(pid)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${name}/cmdline`, "utf8").split("\0");
    } catch {
      continue; // exited meanwhile
    }
    const cmdline = argv.join(" ");
    const argv0 = argv[0] ?? "";
    if (program && !program.test(argv0.slice(argv0.lastIndexOf("/") + 1))) continue;
    if (needles.some((n) => cmdline.includes(n))) out.push(pid);
  }
  return out;
}

/** The programs a runm-owned containerd leaves running: never anyone else's (a `tail -f` of a log). */
const OURS = /^(containerd|containerd-shim-runm-v2|unshare|qemu-system-[\w-]+|virtiofsd|vfkit|gvproxy)$/;

/**
 * The processes started under this layout: containerd itself (its --config), shims (their
 * `-address` is the socket) and VMs (their shares name bundle and snapshot paths).
 */
export function leftoverProcesses(l: ContainerdLayout): number[] {
  return findProcesses([`${l.dir}/`], OURS);
}

/**
 * SIGTERM each process, then SIGKILL whatever is still alive after `graceMs`; each only while it
 * is still the process that was found (a pid reused since is left alone).
 */
export async function killPids(pids: (number | ProcessIdentity)[], graceMs = 3_000): Promise<void> {
  const ids = pids.map((p) => (typeof p === "number" ? identify(p) : p));
  await Promise.all(ids.map((id) => (id ? stopVerified(id, graceMs) : undefined)));
}
