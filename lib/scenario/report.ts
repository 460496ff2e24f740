// The end of a run: a pass/fail table with timings for people, or JSON for machines.
import { type ScenarioResult, secs } from "./runner.ts";

export const RESULT_HEADER = ["scenario / step", "result", "time", "detail"];

/** One row per scenario, then one per step, indented. */
export function resultRows(results: ScenarioResult[]): string[][] {
  const rows: string[][] = [];
  for (const r of results) {
    rows.push([
      r.id,
      r.status.toUpperCase(),
      secs(r.ms),
      r.status === "skip" ? (r.error ?? "") : r.description,
    ]);
    for (const s of r.steps)
      rows.push([`  ${s.name}`, s.status, s.status === "skip" ? "" : secs(s.ms), s.error ?? ""]);
  }
  return rows;
}

export function summaryLine(results: ScenarioResult[]): string {
  const n = (st: string) => results.filter((r) => r.status === st).length;
  const failed = results.filter((r) => r.status === "fail");
  const head = `${n("pass")} passed, ${n("fail")} failed, ${n("skip")} skipped`;
  return failed.length
    ? `${head}; ${failed.map((r) => `${r.id} failed at step "${r.failedStep}": ${r.error}`).join("; ")}`
    : head;
}

export function resultJson(results: ScenarioResult[]): string {
  const round = (ms: number) => Math.round(ms);
  return JSON.stringify(
    {
      ok: results.every((r) => r.status !== "fail"),
      scenarios: results.map((r) => ({
        ...r,
        ms: round(r.ms),
        steps: r.steps.map((s) => ({ ...s, ms: round(s.ms) })),
      })),
    },
    null,
    2,
  );
}
