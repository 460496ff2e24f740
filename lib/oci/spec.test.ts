import { expect, test } from "bun:test";
import { isRunmError } from "../errors.ts";
import { generateSpec, mergeEnv } from "./spec.ts";

test("a runc-spec-like config with the process, user, cwd, env and bind mounts applied", () => {
  const spec = generateSpec({
    args: ["sh", "-c", "echo hi"],
    rootfs: "/run/runm/rootfs",
    env: ["FOO=bar", "PATH=/bin"],
    cwd: "/tmp",
    uid: 1000,
    gid: 1000,
    terminal: true,
    binds: [
      { source: "/run/runm/v/0", destination: "/data", readOnly: true },
      { source: "/run/runm/v/1", destination: "/out", readOnly: false },
    ],
  });
  expect(spec.process.args).toEqual(["sh", "-c", "echo hi"]);
  expect(spec.process.user).toEqual({ uid: 1000, gid: 1000 });
  expect(spec.process.cwd).toBe("/tmp");
  expect(spec.process.terminal).toBe(true);
  expect(spec.process.env).toEqual(["PATH=/bin", "TERM=xterm", "FOO=bar"]);
  expect(spec.root).toEqual({ path: "/run/runm/rootfs", readonly: false });
  expect(spec.mounts.slice(-2)).toEqual([
    { destination: "/data", type: "bind", source: "/run/runm/v/0", options: ["rbind", "ro"] },
    { destination: "/out", type: "bind", source: "/run/runm/v/1", options: ["rbind", "rw"] },
  ]);
  expect(spec.mounts.map((m) => m.destination).slice(0, 7)).toEqual([
    "/proc",
    "/dev",
    "/dev/pts",
    "/dev/shm",
    "/dev/mqueue",
    "/sys",
    "/sys/fs/cgroup",
  ]);
  // The VM's network is the container's: published ports reach it.
  expect(spec.linux.namespaces.map((n) => n.type)).toEqual(["pid", "ipc", "uts", "mount"]);
});

test("defaults: root, /, no terminal, PATH only", () => {
  const spec = generateSpec({ args: ["true"], rootfs: "/r" });
  expect(spec.process.user).toEqual({ uid: 0, gid: 0 });
  expect(spec.process.cwd).toBe("/");
  expect(spec.process.terminal).toBe(false);
  expect(spec.process.env).toEqual(["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]);
  expect(spec.linux.resources.memory).toBeUndefined();
  expect(generateSpec({ args: ["true"], rootfs: "/r", memoryLimitMiB: 16 }).linux.resources.memory).toEqual({
    limit: 16 * 1024 * 1024,
  });
});

test("bad input is an InvalidArgument with a hint", () => {
  const bad = [
    () => generateSpec({ args: [], rootfs: "/r" }),
    () => generateSpec({ args: ["x"], rootfs: "/r", env: ["NOEQUALS"] }),
    () => generateSpec({ args: ["x"], rootfs: "/r", cwd: "rel" }),
    () =>
      generateSpec({
        args: ["x"],
        rootfs: "/r",
        binds: [{ source: "/a", destination: "b", readOnly: false }],
      }),
  ];
  for (const f of bad) {
    try {
      f();
      throw new Error("did not throw");
    } catch (e) {
      expect(isRunmError(e, "InvalidArgument")).toBe(true);
    }
  }
});

test("mergeEnv: later entries win, keeping first position", () => {
  expect(mergeEnv(["A=1", "A=2"], false)).toEqual([
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "A=2",
  ]);
});
