import { expect, test } from "bun:test";
import { runmCmdlineWords } from "./cmdline.ts";
import type { VmConfig } from "./vm-interface.ts";

const config = { mode: "marker", guestLogLevel: "debug", extraCmdline: ["runm.mode=bogus"] } as VmConfig;

test("runm's keys, with extra words first so /init (first occurrence wins) sees them", () => {
  expect(runmCmdlineWords(config, 1700000000123)).toEqual([
    "runm.mode=bogus",
    "runm.mode=marker",
    "runm.time=1700000000123",
    "runm.log=debug",
  ]);
  expect(runmCmdlineWords({ ...config, extraCmdline: undefined, guestLogLevel: undefined }, 1)).toEqual([
    "runm.mode=marker",
    "runm.time=1",
    "runm.log=info",
  ]);
});
