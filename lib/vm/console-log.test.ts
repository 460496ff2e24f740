import { afterAll, expect, test } from "bun:test";
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConsoleWatcher, tailLines } from "./console-log.ts";
import { BootTimeline } from "./timeline.ts";

const dir = mkdtempSync(join(tmpdir(), "runm-con-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("tailLines: last n non-empty lines, CRs dropped, missing file empty", () => {
  const f = join(dir, "c.log");
  writeFileSync(f, "a\r\nb\n\nc\nd\n");
  expect(tailLines(f, 2)).toEqual(["c", "d"]);
  expect(tailLines(join(dir, "none"), 5)).toEqual([]);
});

test("the watcher reports each pattern once, even when split across writes", () => {
  const f = join(dir, "w.log");
  writeFileSync(f, "");
  const seen: string[] = [];
  const w = new ConsoleWatcher(f, { init: /Run \/init as init/, marker: /RUNM-BOOT-OK/ }, (n) =>
    seen.push(n),
  );
  appendFileSync(f, "[0.6] Run /init as ");
  w.poll();
  appendFileSync(f, "init process\nRUNM-BOOT");
  w.poll();
  appendFileSync(f, "-OK\nRUNM-BOOT-OK\n");
  w.poll();
  w.poll();
  expect(seen).toEqual(["init", "marker"]);
  w.stop();
});

test("the timeline keeps the first mark of each phase and prints them in order", () => {
  const tl = new BootTimeline();
  tl.mark("ready", tl.t0 + 900);
  tl.mark("launch", tl.t0 + 10);
  tl.mark("launch", tl.t0 + 50);
  expect(tl.get("launch")).toBe(10);
  expect(tl.format().split("\n")).toEqual([
    "launch           10 ms  (+10)",
    "ready           900 ms  (+890)",
  ]);
  expect(tl.toJSON()).toEqual({ ready: 900, launch: 10 });
});
