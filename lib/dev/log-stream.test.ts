import { expect, test } from "bun:test";
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  bundleConsoleFiles,
  followFiles,
  formatLine,
  isStartupNoise,
  type LogLine,
  logDirFiles,
  parseContainerdLine,
  parseLogFileName,
} from "./log-stream.ts";

test("containerd logfmt lines: message, level, error and container id", () => {
  const l = parseContainerdLine(
    'time="2026-11-29T04:00:00Z" level=warning msg="cleanup warnings" error="exit 1" id=web1 namespace=default',
  );
  expect(l).toEqual({ source: "containerd", id: "web1", text: "warning: cleanup warnings error=exit 1" });
  const shim = parseContainerdLine(
    'time="x" level=info msg="starting signal loop" runtime=io.containerd.runm.v2 id=c2',
  );
  expect(shim.source).toBe("shim");
  expect(parseContainerdLine("plain text")).toEqual({ source: "containerd", text: "plain text" });
  // runm's shim writes consola lines to its log fifo; containerd copies them through.
  expect(parseContainerdLine("\x1b[90m[shim]\x1b[39m ℹ shim default/web1 listening on /run/x.sock")).toEqual({
    source: "shim",
    id: "web1",
    text: "ℹ shim default/web1 listening on /run/x.sock",
  });
  expect(parseContainerdLine("[shim] listening on /run/runm/s/abc.sock").id).toBeUndefined();
});

test("plugin loading is start-up noise; task lines are not", () => {
  expect(
    isStartupNoise(parseContainerdLine('level=info msg="loading plugin \\"io.containerd.x\\"..."')),
  ).toBe(true);
  expect(isStartupNoise(parseContainerdLine('level=info msg="shim disconnected" id=web1'))).toBe(false);
});

test("log file names give source and id; lines are tagged, colour only when asked", () => {
  expect(parseLogFileName("console-web1.log")).toEqual({ source: "console", id: "web1" });
  expect(parseLogFileName("shim.log")).toEqual({ source: "shim", id: undefined });
  expect(parseLogFileName("notes.txt")).toBeUndefined();
  expect(formatLine({ source: "console", id: "web1", text: "hi" }, false)).toBe(
    `console    web1${" ".repeat(12)} | hi`,
  );
  expect(formatLine({ source: "console", id: "web1", text: "hi" }, true)).toContain("\x1b[32m");
});

test("followFiles streams whole lines from new and growing files", async () => {
  const dir = mkdtempSync(join(tmpdir(), "runm-logs-"));
  const got: LogLine[] = [];
  const stop = followFiles(
    () => logDirFiles(dir),
    (l) => got.push(l),
    20,
  );
  writeFileSync(join(dir, "console-a.log"), "boot 1\nboo");
  await Bun.sleep(80);
  appendFileSync(join(dir, "console-a.log"), "t 2\n");
  writeFileSync(join(dir, "shim-b.log"), "created\n");
  await Bun.sleep(80);
  stop();
  rmSync(dir, { recursive: true });
  expect(got).toEqual([
    { source: "console", id: "a", text: "boot 1" },
    { source: "console", id: "a", text: "boot 2" },
    { source: "shim", id: "b", text: "created" },
  ]);
});

test("bundle consoles are found per namespace and container id", () => {
  const state = mkdtempSync(join(tmpdir(), "runm-state-"));
  const b = join(state, "io.containerd.runtime.v2.task", "default", "web1");
  mkdirSync(b, { recursive: true });
  writeFileSync(join(b, "runm-console.log"), "x\n");
  mkdirSync(join(state, "io.containerd.runtime.v2.task", "default", "noconsole"));
  expect(bundleConsoleFiles(state, "runm-console.log")).toEqual([
    { path: join(b, "runm-console.log"), source: "console", id: "web1" },
  ]);
  rmSync(state, { recursive: true });
});
