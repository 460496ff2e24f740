// What the shim records in containerd's bundle dir so that `delete` can clean up after a shim
// that was SIGKILLed: its process, its socket, and the VM's runtime dir and processes, each
// process with its start time so that `delete` never signals a pid reused since.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { SHIM_BUNDLE_FILES } from "../lib/constants.ts";
import { writeFileAtomic } from "../lib/fs-atomic.ts";
import type { ProcessIdentity } from "../lib/sys/proc.ts";

export interface ShimRecord {
  shim: ProcessIdentity;
  socket: string;
  /** The VM's runtime dir (lib/vm) and every host process the VM owns (its jail, with the VMM). */
  vmRuntimeDir?: string;
  vmSocketDir?: string;
  hostProcesses?: ProcessIdentity[];
  /** The pod network namespace the VM's tap was wired in (lib/vm/qemu/pod-network.ts). */
  podNetns?: string;
  /** The host cgroup the VMM ran in (lib/sys/host-cgroup.ts). */
  hostCgroup?: string;
}

export function recordPath(bundle: string): string {
  return join(bundle, SHIM_BUNDLE_FILES.state);
}

export async function writeRecord(bundle: string, r: ShimRecord): Promise<void> {
  await writeFileAtomic(recordPath(bundle), `${JSON.stringify(r, null, 2)}\n`);
}

export function readRecord(bundle: string): ShimRecord | null {
  const p = recordPath(bundle);
  if (!existsSync(p)) return null;
  try {
    return JSON.parse(readFileSync(p, "utf8")) as ShimRecord;
  } catch {
    return null;
  }
}
