// Container statistics and the OOM counter from cgroup files. The guest kernel runs cgroup v2
// only (the files listed in the proto); the v1 readers exist because the hosts that run the
// agent's tests (these Debian machines) mount the v1 hierarchies, and runc follows the host.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { StatsResponse } from "../lib/proto/wire.ts";

/** The wire message itself (limits are 0 when unlimited). */
export type CgroupStats = StatsResponse;

export const CGROUP_ROOT = "/sys/fs/cgroup";
const UNLIMITED_V1 = 2 ** 62; // v1 reports "no limit" as a page-rounded LONG_MAX

export function isCgroupV2(root = CGROUP_ROOT): boolean {
  return existsSync(join(root, "cgroup.controllers"));
}

const read = (path: string): string => {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
};
const num = (s: string): number => {
  const t = s.trim();
  return t === "" || t === "max" ? 0 : Number(t);
};

/** "key value" lines (cpu.stat, memory.events, memory.oom_control, cpuacct.stat) as a map. */
export function flatKeyed(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split("\n")) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined) out[k] = Number(v);
  }
  return out;
}

/** io.stat ("8:0 rbytes=1 wbytes=2 ...") summed over devices. */
export function ioStatV2(text: string): { read: number; write: number } {
  let r = 0;
  let w = 0;
  for (const m of text.matchAll(/rbytes=(\d+)/g)) r += Number(m[1]);
  for (const m of text.matchAll(/wbytes=(\d+)/g)) w += Number(m[1]);
  return { read: r, write: w };
}

/** blkio.throttle.io_service_bytes ("8:0 Read 123") summed over devices. */
export function blkioV1(text: string): { read: number; write: number } {
  let r = 0;
  let w = 0;
  for (const line of text.split("\n")) {
    const [dev, op, v] = line.trim().split(/\s+/);
    if (!dev?.includes(":")) continue;
    if (op === "Read") r += Number(v);
    if (op === "Write") w += Number(v);
  }
  return { read: r, write: w };
}

/** The cgroup's stats; `path` is the spec's linux.cgroupsPath (absolute, e.g. /runm/ID). */
export function readStats(path: string, root = CGROUP_ROOT): CgroupStats {
  return isCgroupV2(root) ? readV2(join(root, path)) : readV1(root, path);
}

/** The v2 memory.events file of the cgroup at `path` (inotify-watchable), or undefined on v1. */
export function memoryEventsFile(path: string, root = CGROUP_ROOT): string | undefined {
  return isCgroupV2(root) ? join(root, path, "memory.events") : undefined;
}

export function oomKills(path: string, root = CGROUP_ROOT): number {
  if (isCgroupV2(root)) return flatKeyed(read(join(root, path, "memory.events"))).oom_kill ?? 0;
  return flatKeyed(read(join(root, "memory", path, "memory.oom_control"))).oom_kill ?? 0;
}

function readV2(dir: string): CgroupStats {
  const cpu = flatKeyed(read(join(dir, "cpu.stat")));
  const io = ioStatV2(read(join(dir, "io.stat")));
  return {
    cpuUsageUsec: cpu.usage_usec ?? 0,
    cpuUserUsec: cpu.user_usec ?? 0,
    cpuSystemUsec: cpu.system_usec ?? 0,
    memoryUsageBytes: num(read(join(dir, "memory.current"))),
    memoryLimitBytes: num(read(join(dir, "memory.max"))),
    memoryOomKills: flatKeyed(read(join(dir, "memory.events"))).oom_kill ?? 0,
    pidsCurrent: num(read(join(dir, "pids.current"))),
    pidsLimit: num(read(join(dir, "pids.max"))),
    ioReadBytes: io.read,
    ioWriteBytes: io.write,
  };
}

function readV1(root: string, path: string): CgroupStats {
  const at = (ctrl: string, file: string) => read(join(root, ctrl, path, file));
  const ticks = flatKeyed(at("cpuacct", "cpuacct.stat"));
  const usecPerTick = 1_000_000 / 100; // USER_HZ is 100 on Linux
  const limit = num(at("memory", "memory.limit_in_bytes"));
  const io = blkioV1(at("blkio", "blkio.throttle.io_service_bytes"));
  return {
    cpuUsageUsec: Math.floor(num(at("cpuacct", "cpuacct.usage")) / 1000),
    cpuUserUsec: (ticks.user ?? 0) * usecPerTick,
    cpuSystemUsec: (ticks.system ?? 0) * usecPerTick,
    memoryUsageBytes: num(at("memory", "memory.usage_in_bytes")),
    memoryLimitBytes: limit >= UNLIMITED_V1 ? 0 : limit,
    memoryOomKills: flatKeyed(at("memory", "memory.oom_control")).oom_kill ?? 0,
    pidsCurrent: num(at("pids", "pids.current")),
    pidsLimit: num(at("pids", "pids.max")),
    ioReadBytes: io.read,
    ioWriteBytes: io.write,
  };
}
