// Runs scenarios: streams each step's output, times it, stops a scenario at its first failing
// step, runs cleanups (all of them, or only the `always` ones with --keep) and collects results.
import { messageOf } from "../errors.ts";
import { type ContextDeps, createContext } from "./context.ts";
import type { Scenario } from "./types.ts";

export type Status = "pass" | "fail" | "skip";

export interface StepResult {
  name: string;
  status: Status;
  ms: number;
  error?: string;
}

export interface ScenarioResult {
  id: string;
  description: string;
  status: Status;
  ms: number;
  steps: StepResult[];
  /** Name of the step that failed, when one did. */
  failedStep?: string;
  error?: string;
  runtime: string;
  client: string;
}

export type RunDeps = Omit<ContextDeps, "scenario">;

export async function runScenario(s: Scenario, deps: RunDeps): Promise<ScenarioResult> {
  const w = deps.write;
  const started = performance.now();
  const base = { id: s.id, description: s.description, runtime: deps.runtime };
  if (s.runtimes && !s.runtimes.includes(deps.runtime)) {
    const why = `needs runtime ${s.runtimes.join(" or ")}, not ${deps.runtime}`;
    w(`=== ${s.id}: skipped (${why})`);
    return { ...base, status: "skip", ms: 0, steps: [], error: why, client: "-" };
  }
  const { ctx, cleanups } = createContext({ ...deps, scenario: s });
  w(`=== ${s.id}: ${s.description} (${ctx.client.kind}, ${deps.runtime})`);
  const steps: StepResult[] = [];
  let failed: StepResult | undefined;
  for (const [i, step] of s.steps.entries()) {
    if (failed || deps.signal.aborted) {
      steps.push({ name: step.name, status: "skip", ms: 0 });
      continue;
    }
    w(`--- [${i + 1}/${s.steps.length}] ${step.name}`);
    const t0 = performance.now();
    try {
      await step.run(ctx);
      const ms = performance.now() - t0;
      steps.push({ name: step.name, status: "pass", ms });
      w(`  ✔ ${step.name} (${secs(ms)})`);
    } catch (e) {
      const ms = performance.now() - t0;
      failed = { name: step.name, status: "fail", ms, error: messageOf(e) };
      steps.push(failed);
      w(`  ✖ ${step.name} (${secs(ms)}): ${messageOf(e)}`);
    }
  }
  const todo = deps.keep ? cleanups.filter((c) => c.always) : cleanups;
  if (deps.keep && cleanups.length > todo.length)
    w(`  # --keep: left ${cleanups.length - todo.length} thing(s) in place`);
  for (const c of todo.reverse()) {
    try {
      await c.fn();
    } catch (e) {
      w(`  ! cleanup failed: ${messageOf(e)}`);
    }
  }
  return {
    ...base,
    client: ctx.client.kind,
    status: failed ? "fail" : "pass",
    ms: performance.now() - started,
    steps,
    failedStep: failed?.name,
    error: failed?.error,
  };
}

export const secs = (ms: number) => `${(ms / 1000).toFixed(2)}s`;
