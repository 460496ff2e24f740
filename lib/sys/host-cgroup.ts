// The host cgroup a container's spec names (`linux.cgroupsPath`), for the VMM that runs it: where
// runc would have put the container, runm puts the VM, so the host accounts (and the pod's cgroup
// limits) what the container really costs: its whole VM. Kubernetes reads a pod's usage from its
// pod cgroup (containerd's PodSandboxStats does too); Kata's sandbox_cgroup_only does the same.
//
// cgroupfs paths only ("/kubepods/burstable/pod…/ID", ctr's "/default/ID"): a systemd path
// ("slice:prefix:name") needs systemd to make the scope, and is left alone (logged by the
// caller). The path comes from a spec: hostile, so only plain names, no `.` or `..`.
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { invalidArgument } from "../errors.ts";

/** The v1 controllers whose usage a pod's stats read and whose limits kubelet sets. */
const V1_CONTROLLERS = ["memory", "cpu", "cpuacct", "pids", "blkio"];
/** What a v2 cgroup needs enabled from its parents for the same. */
const V2_CONTROLLERS = ["memory", "cpu", "pids", "io"];
const CGROUP_PATH = /^(\/[A-Za-z0-9_.:@-]{1,255}){1,32}$/;

/** A cgroupfs path, or undefined for a systemd one; anything else is refused in one line. */
export function cgroupfsPath(path: string): string | undefined {
  if (!path.startsWith("/")) return undefined; // systemd's slice:prefix:name
  if (!CGROUP_PATH.test(path) || path.split("/").some((c) => c === "." || c === ".."))
    throw invalidArgument(`cgroupsPath ${JSON.stringify(path)} is not a plain cgroup path`, {
      hint: "give /parent/.../name with letters, digits and _ . : @ - only",
    });
  return path;
}

interface Hierarchy {
  mount: string;
  version: 1 | 2;
}

/**
 * The hierarchies to place a process in: each mounted v1 hierarchy holding one of V1_CONTROLLERS
 * (not cpuset, whose new cgroups have no CPUs until set, nor named ones like systemd's); on a pure
 * v2 host the unified one.
 */
export function hierarchies(mountinfo = readFileSync("/proc/self/mountinfo", "utf8")): Hierarchy[] {
  const v1: Hierarchy[] = [];
  const v2: Hierarchy[] = [];
  for (const line of mountinfo.split("\n")) {
    const [pre, post] = line.split(" - ");
    if (!pre || !post) continue;
    const mount = pre.split(" ")[4] ?? "";
    const [fstype, , superOpts = ""] = post.split(" ");
    if (fstype === "cgroup2") v2.push({ mount, version: 2 });
    if (fstype === "cgroup" && superOpts.split(",").some((o) => V1_CONTROLLERS.includes(o)))
      v1.push({ mount, version: 1 });
  }
  return v1.length ? v1 : v2;
}

export class HostCgroup {
  private constructor(
    readonly path: string,
    /** The cgroup's dir in each hierarchy. */
    readonly dirs: string[],
  ) {}

  /**
   * Make the cgroup in every hierarchy (its parents too: kubelet has made a pod's already), with
   * v2's controllers enabled down to it. Nothing is moved yet: see `procsFiles`.
   */
  static create(path: string, hs: Hierarchy[] = hierarchies()): HostCgroup {
    const dirs: string[] = [];
    for (const h of hs) {
      const dir = join(h.mount, path);
      mkdirSync(dir, { recursive: true });
      if (h.version === 2) enableControllers(h.mount, path);
      dirs.push(dir);
    }
    return new HostCgroup(path, dirs);
  }

  /** Where a process writes `0` to move itself in (the VMM's launcher does, before it execs). */
  procsFiles(): string[] {
    return this.dirs.map((d) => join(d, "cgroup.procs"));
  }

  /**
   * Remove the cgroup (only its own dir: the parents are kubelet's or containerd's, as runc leaves
   * them). Its processes must be gone; a killed VMM may take a moment to leave, so this retries
   * for up to a second. Synchronous, for the exit path.
   */
  remove(): void {
    removeCgroupDirs(this.dirs);
  }

  /** The dirs a recorded cgroup path has (the shim's `delete` after a SIGKILL). */
  static removePath(path: string): void {
    const p = cgroupfsPath(path);
    if (p) removeCgroupDirs(hierarchies().map((h) => join(h.mount, p)));
  }
}

function removeCgroupDirs(dirs: string[]): void {
  for (const dir of dirs) {
    for (let i = 0; existsSync(dir); i++) {
      try {
        rmdirSync(dir);
      } catch (e) {
        if (i >= 100 || (e as NodeJS.ErrnoException).code !== "EBUSY") break;
        Bun.sleepSync(10);
      }
    }
  }
}

/** v2: each ancestor delegates the controllers it has to its children (runc does the same). */
function enableControllers(mount: string, path: string): void {
  const parts = path.split("/").filter(Boolean);
  for (let i = 0; i < parts.length; i++) {
    const dir = join(mount, ...parts.slice(0, i));
    try {
      const have = readFileSync(join(dir, "cgroup.controllers"), "utf8").trim().split(/\s+/);
      const want = V2_CONTROLLERS.filter((c) => have.includes(c));
      if (want.length) writeFileSync(join(dir, "cgroup.subtree_control"), want.map((c) => `+${c}`).join(" "));
    } catch {
      // a cgroup with processes of its own cannot delegate (v2's no-internal-process rule)
    }
  }
}

/**
 * The argv prefix that moves the launched process into the cgroup before it execs the rest (so
 * everything it starts is born there): each `cgroup.procs` gets `0`, "the writer itself".
 */
export function joinCgroupArgv(procsFiles: string[]): string[] {
  return [
    "/bin/sh",
    "-c",
    'while [ "$1" != -- ]; do echo 0 >"$1" || exit 1; shift; done; shift; exec "$@"',
    "runm-cgroup",
    ...procsFiles,
    "--",
  ];
}
