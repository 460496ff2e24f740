import { expect, test } from "bun:test";
import { afterDoubleDash, checkUnknownFlags, extractGlobalFlags, repeated, UsageError } from "./args.ts";

const def = {
  tty: { type: "boolean", alias: "t" },
  interactive: { type: "boolean", alias: "i" },
  env: { type: "string", alias: "e" },
  rootfs: { type: "string" },
} as const;

test("known flags, clusters and values after -- pass", () => {
  expect(() =>
    checkUnknownFlags(["-it", "--rootfs", "/r", "-e", "A=1", "--", "sh", "--weird"], def),
  ).not.toThrow();
  expect(() => checkUnknownFlags(["--no-tty"], def)).not.toThrow();
});

test("unknown long and short flags are usage errors", () => {
  expect(() => checkUnknownFlags(["--rootf", "/r"], def)).toThrow(UsageError);
  expect(() => checkUnknownFlags(["-x"], def)).toThrow("unknown flag -x");
});

test("repeatable flags keep every value in order", () => {
  expect(repeated(["-e", "A=1", "--env=B=2", "--", "-e", "C"], ["e", "env"])).toEqual(["A=1", "B=2"]);
  expect(afterDoubleDash(["-t", "--", "sh", "-c", "x"])).toEqual(["sh", "-c", "x"]);
});

test("global flags are found anywhere before --", () => {
  const { flags, rest } = extractGlobalFlags(["vm", "--debug", "run", "--log-level=warn", "--", "--debug"]);
  expect(flags).toEqual({ debug: true, logLevel: "warn" });
  expect(rest).toEqual(["vm", "run", "--", "--debug"]);
});
