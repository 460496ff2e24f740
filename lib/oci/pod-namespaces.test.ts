import { expect, test } from "bun:test";
import { joinsPodNamespace, joinsPodNetwork } from "./pod-namespaces.ts";

test("a sibling's pid, ipc or uts namespace is joined; its network is the VM's; nothing else", () => {
  const pids = [7, 12];
  expect(joinsPodNamespace({ type: "pid", path: "/proc/7/ns/pid" }, pids)).toBe(true);
  expect(joinsPodNamespace({ type: "uts", path: "/proc/12/ns/uts" }, pids)).toBe(true);
  expect(joinsPodNamespace({ type: "pid", path: "/proc/8/ns/pid" }, pids)).toBe(false); // not a sibling
  expect(joinsPodNamespace({ type: "ipc", path: "/proc/7/ns/pid" }, pids)).toBe(false); // type mismatch
  expect(joinsPodNamespace({ type: "mount", path: "/proc/7/ns/mnt" }, pids)).toBe(false);
  expect(joinsPodNamespace({ type: "network", path: "/proc/7/ns/net" }, pids)).toBe(false);
  expect(joinsPodNetwork({ type: "network", path: "/proc/7/ns/net" }, pids)).toBe(true);
  expect(joinsPodNetwork({ type: "network", path: "/proc/1/ns/net" }, pids)).toBe(false);
  expect(joinsPodNetwork({ type: "network", path: "/proc/7/ns/pid" }, pids)).toBe(false);
  expect(joinsPodNetwork({ type: "network", path: "/proc/7/ns/net/../../1/ns/net" }, pids)).toBe(false);
});
