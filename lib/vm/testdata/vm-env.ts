// Shared by the real-VM tests: a private state dir (so every VM process this test file starts
// carries its path in its argv), a leak check over /proc, and the runm CLI as a subprocess.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "../../paths.ts";

export interface VmTestEnv {
  stateDir: string;
  env: Record<string, string>;
  /** Processes whose argv mentions the state dir, and runtime dirs left under it. */
  leftovers(): { pids: string[]; dirs: string[] };
  /** Wait up to `ms` for leftovers to vanish, then return what remains. */
  settle(ms?: number): Promise<{ pids: string[]; dirs: string[] }>;
  cleanup(): void;
}

export function vmTestEnv(): VmTestEnv {
  const stateDir = mkdtempSync(join(tmpdir(), "runm-vmt-"));
  process.env.RUNM_STATE_DIR = stateDir;
  const leftovers = () => {
    const pids: string[] = [];
    for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
      try {
        const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
        if (cmd.includes(stateDir) && Number(pid) !== process.pid) pids.push(`${pid}: ${cmd.slice(0, 120)}`);
      } catch {
        // exited while we looked
      }
    }
    let dirs: string[] = [];
    try {
      dirs = readdirSync(join(stateDir, "vms"));
    } catch {
      // never created
    }
    return { pids, dirs };
  };
  return {
    stateDir,
    env: { ...(process.env as Record<string, string>), RUNM_STATE_DIR: stateDir },
    leftovers,
    async settle(ms = 3000) {
      const until = Date.now() + ms;
      let l = leftovers();
      while ((l.pids.length || l.dirs.length) && Date.now() < until) {
        await Bun.sleep(50);
        l = leftovers();
      }
      return l;
    },
    cleanup() {
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export const RUNM = ["bun", join(REPO_ROOT, "cli/main.ts")];

/** Run `runm ARGS` to completion with optional stdin. */
export async function runm(env: VmTestEnv, args: string[], stdin?: string): Promise<CliResult> {
  const p = Bun.spawn([...RUNM, ...args], {
    env: env.env,
    stdin: stdin === undefined ? "ignore" : new TextEncoder().encode(stdin),
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
    p.exited,
  ]);
  return { code, stdout, stderr };
}
