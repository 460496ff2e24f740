import { expect, test } from "bun:test";
import { resolveDirs } from "./paths.ts";

test("Linux follows XDG, with runm's env overrides first", () => {
  expect(resolveDirs({ platform: "linux", env: {}, home: "/h" })).toEqual({
    cache: "/h/.cache/runm",
    state: "/h/.local/state/runm",
    config: "/h/.config/runm",
    templates: "/dev/shm/runm/templates",
  });
  const xdg = resolveDirs({
    platform: "linux",
    env: { XDG_CACHE_HOME: "/x/c", RUNM_STATE_DIR: "/s" },
    home: "/h",
  });
  expect(xdg.cache).toBe("/x/c/runm");
  expect(xdg.state).toBe("/s");
  expect(resolveDirs({ platform: "linux", env: { RUNM_TEMPLATE_DIR: "/t" }, home: "/h" }).templates).toBe(
    "/t",
  );
});

test("macOS uses ~/Library", () => {
  const d = resolveDirs({ platform: "darwin", env: { XDG_CACHE_HOME: "/ignored" }, home: "/Users/u" });
  expect(d.cache).toBe("/Users/u/Library/Caches/runm");
  expect(d.config).toBe("/Users/u/Library/Application Support/runm");
});
