// Shared by the scenario end-to-end tests: run `runm scenario ... --with-containerd --json`
// through the real CLI and return its parsed report plus what it printed.
import { join } from "node:path";
import { REPO_ROOT } from "../lib/paths.ts";

export interface Report {
  ok: boolean;
  scenarios: { id: string; status: string; failedStep?: string; error?: string; ms: number }[];
}

export async function runScenarios(args: string[]): Promise<{ code: number; report: Report; log: string }> {
  const p = Bun.spawn(
    ["bun", join(REPO_ROOT, "cli/main.ts"), "scenario", "run", ...args, "--with-containerd", "--json"],
    {
      stdout: "pipe",
      stderr: "pipe",
    },
  );
  const [stdout, log, code] = await Promise.all([
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
    p.exited,
  ]);
  if (code !== 0) process.stderr.write(log); // the streamed steps show what went wrong
  return { code, report: JSON.parse(stdout) as Report, log };
}

/** id → "pass" | "fail: step: error" | "skip", for one readable expect(). */
export const outcome = (r: Report) =>
  Object.fromEntries(
    r.scenarios.map((s) => [s.id, s.status === "fail" ? `fail: ${s.failedStep}: ${s.error}` : s.status]),
  );
