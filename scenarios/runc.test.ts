// The scenario scripts themselves, checked against plain runc in a private containerd: every
// scenario passes except the two that only mean something with a VM (skipped by design).
import { expect, setDefaultTimeout, test } from "bun:test";
import { outcome, runScenarios } from "./_e2e.ts";

setDefaultTimeout(300_000);

test("the dated scenarios and the checklist pass under runc", async () => {
  const { code, report } = await runScenarios([
    "2025-06-18:01",
    "2025-07-02:01",
    "2025-07-05:01",
    "2025-07-26:01",
    "2025-07-31:01",
    "checklist:*",
    "--runtime",
    "io.containerd.runc.v2",
  ]);
  const o = outcome(report);
  expect(o["checklist:publish"]).toBe("skip");
  expect(o["checklist:host-loopback"]).toBe("skip");
  for (const [id, status] of Object.entries(o))
    if (id !== "checklist:publish" && id !== "checklist:host-loopback")
      expect(`${id} ${status}`).toBe(`${id} pass`);
  expect(Object.keys(o).length).toBe(17);
  expect(code).toBe(0);
});
