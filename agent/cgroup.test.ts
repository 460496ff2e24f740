import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { blkioV1, ioStatV2, oomKills, readStats } from "./cgroup.ts";

// A fake cgroup2 tree: the guest's layout, which these cgroup-v1 hosts cannot produce for real.
const root = mkdtempSync(join(tmpdir(), "runm-cg-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

test("reads cgroup v2 files", () => {
  const dir = join(root, "runm/c1");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(root, "cgroup.controllers"), "cpu memory pids io\n");
  writeFileSync(join(dir, "cpu.stat"), "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\n");
  writeFileSync(join(dir, "memory.current"), "4096\n");
  writeFileSync(join(dir, "memory.max"), "max\n");
  writeFileSync(join(dir, "memory.events"), "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n");
  writeFileSync(join(dir, "pids.current"), "2\n");
  writeFileSync(join(dir, "pids.max"), "64\n");
  writeFileSync(join(dir, "io.stat"), "254:0 rbytes=100 wbytes=20 rios=1 wios=1\n8:0 rbytes=1 wbytes=2\n");
  expect(readStats("/runm/c1", root)).toEqual({
    cpuUsageUsec: 1500,
    cpuUserUsec: 1000,
    cpuSystemUsec: 500,
    memoryUsageBytes: 4096,
    memoryLimitBytes: 0,
    memoryOomKills: 1,
    pidsCurrent: 2,
    pidsLimit: 64,
    ioReadBytes: 101,
    ioWriteBytes: 22,
  });
  expect(oomKills("/runm/c1", root)).toBe(1);
});

test("parses io counters", () => {
  expect(ioStatV2("")).toEqual({ read: 0, write: 0 });
  expect(blkioV1("8:0 Read 10\n8:0 Write 4\n8:0 Sync 1\nTotal 15\n")).toEqual({ read: 10, write: 4 });
});
