// CI's end-to-end tests: the quickstart and every checklist scenario through containerd, the runm
// shim and a micro-VM per container (QEMU; TCG here, so each boot costs seconds).
import { expect, setDefaultTimeout, test } from "bun:test";
import { outcome, runScenarios } from "./_e2e.ts";

setDefaultTimeout(20 * 60_000);

test("runm scenario 2025-07-05:01 --with-containerd passes", async () => {
  const { code, report } = await runScenarios(["2025-07-05:01"]);
  expect(outcome(report)).toEqual({ "2025-07-05:01": "pass" });
  expect(code).toBe(0);
});

test("the dated scenarios 2025-06-18:01, 2025-07-02:01 (bun and a TS project in a Debian image), 2025-07-26:01, 2025-07-31:01 (a pod: nginx and a ps in its PID namespace), 2025-08-18:01 (nginx) and 2025-08-18:02 (postgres) pass", async () => {
  const ids = [
    "2025-06-18:01",
    "2025-07-02:01",
    "2025-07-26:01",
    "2025-07-31:01",
    "2025-08-18:01",
    "2025-08-18:02",
  ];
  const { code, report } = await runScenarios(ids);
  expect(outcome(report)).toEqual(Object.fromEntries(ids.map((id) => [id, "pass"])));
  expect(code).toBe(0);
});

test("every checklist scenario passes under runm", async () => {
  const { code, report } = await runScenarios(["checklist:*"]);
  const o = outcome(report);
  expect(Object.keys(o).length).toBe(12);
  for (const [id, status] of Object.entries(o)) expect(`${id} ${status}`).toBe(`${id} pass`);
  expect(code).toBe(0);
});
