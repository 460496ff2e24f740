// The reaper against real processes, in a child process (test/fixtures/reaper-probe.ts): an
// orphan re-parented to the subreaper is reaped with its exact status, a killed one gives
// 128+signal, one that exits before it is watched keeps its status, and a stray zombie is swept.
import { expect, test } from "bun:test";
import { join } from "node:path";
import { REPO_ROOT } from "../../lib/paths.ts";

test("exact statuses of re-parented processes; stray zombies swept", async () => {
  const p = Bun.spawn(["bun", join(REPO_ROOT, "test/fixtures/reaper-probe.ts")], {
    stdout: "pipe",
    stderr: "inherit",
  });
  const out = await new Response(p.stdout).text();
  expect(await p.exited).toBe(0);
  expect(JSON.parse(out)).toEqual({
    statuses: [42, 137],
    zombiesAfterWatch: 0,
    quickStatus: 7,
    sweptDuringLaunch: 0,
    zombieSeen: true,
    swept: 1,
    zombiesLeft: 0,
  });
});
