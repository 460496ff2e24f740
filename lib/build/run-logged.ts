// Run a long build step (make) with its full output in a log file and a progress line on the
// terminal. On failure the error names the log and shows the lines that explain it.
import { createWriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { createInterface } from "node:readline";
import { RunmError } from "../errors.ts";
import { spawnTracked } from "./children.ts";
import type { Progress } from "./progress.ts";

export interface LoggedRun {
  file: string;
  args: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  logFile: string;
  progress?: Progress;
  what: string;
}

/** The lines worth showing from a failed build log: the errors, else the last lines. */
export function explainTail(lines: string[], max = 15): string[] {
  const errors = lines.filter((l) => /error|Error|\*\*\*|No such file|not found/.test(l));
  return (errors.length ? errors : lines).slice(-max);
}

export async function runLogged(r: LoggedRun): Promise<void> {
  await mkdir(dirname(r.logFile), { recursive: true });
  const out = createWriteStream(r.logFile, { flags: "a" });
  out.write(`$ ${[r.file, ...r.args].join(" ")}\n`);
  const tail: string[] = [];
  const { child, exited } = spawnTracked(r.file, r.args, { cwd: r.cwd, env: r.env });
  const feed = (stream: NodeJS.ReadableStream | null) =>
    new Promise<void>((resolve) => {
      if (!stream) return resolve();
      const rl = createInterface({ input: stream });
      rl.on("line", (line) => {
        out.write(`${line}\n`);
        tail.push(line);
        if (tail.length > 400) tail.splice(0, 200);
        r.progress?.line(line);
      });
      rl.on("close", resolve);
    });
  let code: number;
  try {
    [code] = await Promise.all([exited, feed(child.stdout), feed(child.stderr)]);
  } finally {
    r.progress?.finish();
    await new Promise<void>((resolve) => out.end(resolve));
  }
  if (code !== 0) {
    throw new RunmError("Internal", `${r.what} failed (exit ${code}); full log: ${r.logFile}`, {
      hint: `read ${r.logFile}`,
      details: explainTail(tail),
    });
  }
}
