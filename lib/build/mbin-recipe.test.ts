// The recipe in squashfs/mbin.json agrees with the guest paths the agent and /init are compiled
// with, and a broken recipe is one clear line.
import { expect, test } from "bun:test";
import {
  GUEST_AGENT_PATH,
  GUEST_BUSYBOX_PATH,
  GUEST_CRUN_PATH,
  GUEST_MBIN_DIR,
  GUEST_RUNC_PATH,
  GUEST_TINI_PATH,
} from "../constants.ts";
import { parseMbinRecipe, readMbinRecipe } from "./mbin-recipe.ts";

test("the recipe holds every guest path lib/constants.ts names, executable", () => {
  const r = readMbinRecipe();
  const paths = [GUEST_AGENT_PATH, GUEST_RUNC_PATH, GUEST_CRUN_PATH, GUEST_TINI_PATH, GUEST_BUSYBOX_PATH];
  for (const p of paths) {
    const e = r.entries.find((x) => `${GUEST_MBIN_DIR}/${x.path}` === p);
    expect(e?.mode).toBe(0o755);
  }
  expect(r.entries.filter((e) => e.appletLinks).map((e) => e.path)).toEqual(["bin/busybox"]);
});

test("a broken recipe is refused naming the entry and field", () => {
  const bad =
    (entries: object[], libraryMode = "0755") =>
    () =>
      parseMbinRecipe(JSON.stringify({ entries, libraryMode }), "mbin.json");
  expect(bad([{ path: "../etc/x", from: "host:runc", mode: "0755" }])).toThrow(
    "mbin.json: entries[0].path must be a plain relative path",
  );
  expect(bad([{ path: "bin/x", from: "url:http://x", mode: "0755" }])).toThrow(
    "entries[0].from must be host:<program>",
  );
  expect(bad([{ path: "bin/x", from: "host:x", mode: "755" }])).toThrow(
    'entries[0].mode must be an octal mode such as "0755"',
  );
  expect(
    bad([
      { path: "bin/x", from: "host:x", mode: "0755" },
      { path: "bin/x", from: "host:y", mode: "0755" },
    ]),
  ).toThrow("bin/x is listed twice");
});
