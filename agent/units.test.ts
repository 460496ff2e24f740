// Pure pieces of the agent: flag parsing, wait-status decoding, runc error classification, the
// namespace paths a spec may name.
import { expect, test } from "bun:test";
import { isRunmError } from "../lib/errors.ts";
import { checkNamespaces } from "./container.ts";
import { parseAgentOptions, parseListen } from "./options.ts";
import { errorLines, resolveRunc, runcError } from "./runc.ts";
import { decodeWaitStatus, zombieChildren } from "./sys/reaper.ts";

test("--listen forms", () => {
  expect(parseListen("unix:/tmp/a.sock")).toEqual({ kind: "unix", path: "/tmp/a.sock" });
  expect(parseListen("vsock")).toEqual({ kind: "vsock", port: 1024 });
  expect(parseListen("vsock:2000")).toEqual({ kind: "vsock", port: 2000 });
  expect(parseListen("virtio-serial")).toEqual({ kind: "virtio-serial" });
  expect(() => parseListen("tcp:1")).toThrow("bad --listen tcp:1");
  expect(parseAgentOptions([])).toMatchObject({ listen: { kind: "auto" }, stateDir: "/run/runm" });
});

test("wait statuses decode the shell way", () => {
  expect(decodeWaitStatus(0)).toBe(0);
  expect(decodeWaitStatus(42 << 8)).toBe(42);
  expect(decodeWaitStatus(9)).toBe(137); // SIGKILL
  expect(decodeWaitStatus(15 | 0x80)).toBe(143); // SIGTERM with core flag
});

test("no zombie children of this test process", () => {
  expect(zombieChildren(process.pid)).toEqual([]);
});

test("runc errors: message from the JSON log, kind from the message", () => {
  const log = '{"level":"info","msg":"x"}\n{"level":"error","msg":"container does not exist"}\n';
  expect(errorLines(log, "ignored")).toBe("container does not exist");
  expect(errorLines("", " plain stderr \n")).toBe("plain stderr");
  expect(isRunmError(runcError(["kill"], 1, "container does not exist"), "NotFound")).toBe(true);
  expect(
    isRunmError(runcError(["create"], 1, "container with id exists: x already exists"), "AlreadyExists"),
  ).toBe(true);
  expect(isRunmError(runcError(["pause"], 1, "container not running"), "FailedPrecondition")).toBe(true);
  expect(isRunmError(runcError(["create"], 1, "exec: permission denied"), "Internal")).toBe(true);
});

test("a missing runc is FailedPrecondition with the fix", () => {
  expect(resolveRunc("runc")).toMatch(/\/runc$/);
  let err: unknown;
  try {
    resolveRunc("/mbin/bin/runc-missing");
  } catch (e) {
    err = e;
  }
  expect(isRunmError(err, "FailedPrecondition")).toBe(true);
  expect((err as { hint?: string }).hint).toContain("runm build all");
});

test("a spec joins only the pid, ipc or uts namespace of one of this VM's containers", () => {
  const ns = (type: string, path: string) => [{ type, path }];
  for (const t of ["pid", "ipc", "uts"])
    expect(() => checkNamespaces("c", ns(t, `/proc/7/ns/${t}`), [7])).not.toThrow();
  expect(() => checkNamespaces("c", [{ type: "pid" }], [])).not.toThrow(); // a new one: always fine
  expect(() => checkNamespaces("c", ns("pid", "/proc/1/ns/pid"), [7])).toThrow(
    /not one of this VM's containers/,
  );
  expect(() => checkNamespaces("c", ns("mount", "/proc/7/ns/mnt"), [7])).toThrow(/not one of/);
  expect(() => checkNamespaces("c", ns("network", "/proc/7/ns/net"), [7])).toThrow(/not one of/);
  expect(() => checkNamespaces("c", ns("ipc", "/proc/7/ns/pid"), [7])).toThrow(/not one of/);
});
