// The VMM's host cgroup through the real thing (this host: cgroup v1 hierarchies, hybrid), and
// the parsing both kinds of host need.
import { expect, test } from "bun:test";
import { existsSync, readFileSync, rmdirSync } from "node:fs";
import { join } from "node:path";
import { cgroupfsPath, HostCgroup, hierarchies, joinCgroupArgv } from "./host-cgroup.ts";

test("a cgroupfs path is kept, a systemd one left alone, anything else refused in one line", () => {
  expect(cgroupfsPath("/kubepods/burstable/pod1/abc")).toBe("/kubepods/burstable/pod1/abc");
  expect(cgroupfsPath("kubepods-pod1.slice:cri-containerd:abc")).toBeUndefined();
  for (const bad of ["/", "/a/../b", "/a/./b", "/a b", "/a\nb", "//a", `/${"x".repeat(300)}`])
    expect(() => cgroupfsPath(bad)).toThrow(/is not a plain cgroup path/);
});

test("the hierarchies: v1 controllers (not cpuset, not named ones) on a v1 or hybrid host; the unified one on a v2 host", () => {
  const hybrid = [
    "30 25 0:26 / /sys/fs/cgroup/cpu rw,relatime shared:9 - cgroup cgroup rw,cpu",
    "31 25 0:27 / /sys/fs/cgroup/cpuset rw,relatime shared:10 - cgroup cgroup rw,cpuset",
    "32 25 0:28 / /sys/fs/cgroup/memory rw,relatime shared:11 - cgroup cgroup rw,memory",
    "33 25 0:29 / /sys/fs/cgroup/systemd rw,relatime shared:12 - cgroup cgroup rw,xattr,name=systemd",
    "34 25 0:30 / /sys/fs/cgroup/unified rw,relatime shared:13 - cgroup2 cgroup2 rw",
    "35 25 0:31 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:14 - cgroup cgroup rw,cpu,cpuacct",
  ].join("\n");
  expect(hierarchies(hybrid).map((h) => h.mount)).toEqual([
    "/sys/fs/cgroup/cpu",
    "/sys/fs/cgroup/memory",
    "/sys/fs/cgroup/cpu,cpuacct",
  ]);
  const v2 =
    "29 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate";
  expect(hierarchies(v2)).toEqual([{ mount: "/sys/fs/cgroup", version: 2 }]);
});

test("the launcher moves itself in before it execs: the process is born in the cgroup; removal waits for it to go", async () => {
  const path = `/runm-cgroup-test-${process.pid}/vm`;
  const cg = HostCgroup.create(path);
  try {
    expect(cg.dirs.length).toBeGreaterThan(0);
    const p = Bun.spawn([...joinCgroupArgv(cg.procsFiles()), "sleep", "30"]);
    for (let i = 0; i < 50 && !readFileSync(`/proc/${p.pid}/cgroup`, "utf8").includes(path); i++)
      await Bun.sleep(20);
    const lines = readFileSync(`/proc/${p.pid}/cgroup`, "utf8").split("\n");
    expect(lines.filter((l) => l.endsWith(`:${path}`)).map((l) => l.split(":")[1])).toEqual(
      expect.arrayContaining(["memory", "cpu", "pids"]),
    );
    expect(readFileSync(join(cg.dirs[0] ?? "", "cgroup.procs"), "utf8").trim()).toBe(String(p.pid));
    p.kill("SIGKILL");
    cg.remove(); // retries while the killed process leaves
    for (const d of cg.dirs) expect(existsSync(d)).toBe(false);
  } finally {
    for (const h of hierarchies()) {
      try {
        rmdirSync(join(h.mount, path));
      } catch {}
      try {
        rmdirSync(join(h.mount, path, ".."));
      } catch {}
    }
  }
});
