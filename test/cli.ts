// Runs the real `runm` CLI in a subprocess, as a user would, for tests.
import { join } from "node:path";

export const RUNM = join(import.meta.dir, "..", "cli", "main.ts");
/** The argv prefix that runs runm (for Bun.spawn, tmux, script). */
export const RUNM_ARGV = [process.execPath, RUNM];

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runm(
  args: string[],
  opts: { env?: Record<string, string>; cwd?: string; stdin?: string | Uint8Array } = {},
): Promise<CliResult> {
  const proc = Bun.spawn([...RUNM_ARGV, ...args], {
    env: { ...process.env, NO_COLOR: "1", ...opts.env },
    cwd: opts.cwd,
    stdin:
      opts.stdin === undefined
        ? "ignore"
        : typeof opts.stdin === "string"
          ? new TextEncoder().encode(opts.stdin)
          : opts.stdin,
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { code, stdout, stderr };
}
