// Shared by the real-VM tests: a private state dir (so every VM process this test file starts
// carries its path in its argv), a leak check over /proc, and the runm CLI as a subprocess.
import { afterAll, afterEach, beforeAll, expect } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CliResult, RUNM_ARGV, runm as runCli } from "../../../test/cli.ts";
import { buildBusyboxRootfs } from "../../../test/fixtures/busybox-rootfs.ts";
import type { GuestArch } from "../../constants.ts";

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

export const RUNM = RUNM_ARGV;

/** Run `runm ARGS` to completion in this VM test env, with optional stdin and working dir. */
export function runm(
  env: VmTestEnv,
  args: string[],
  stdin?: string | Uint8Array,
  cwd?: string,
): Promise<CliResult> {
  return runCli(args, { env: env.env, stdin, cwd });
}

/**
 * The frame of a real-VM test file: a VmTestEnv, a work dir holding a busybox `rootfs` of `arch`
 * (the host's by default; built before the first test), every test followed by a leak check, all
 * removed at the end.
 */
export function vmTestSuite(
  name: string,
  arch?: GuestArch,
): { env: VmTestEnv; work: string; rootfs: string } {
  const env = vmTestEnv();
  const work = mkdtempSync(join(tmpdir(), `runm-${name}-`));
  const rootfs = join(work, "rootfs");
  beforeAll(() => buildBusyboxRootfs(rootfs, arch));
  afterEach(async () => expect(await env.settle()).toEqual({ pids: [], dirs: [] }));
  afterAll(() => {
    env.cleanup();
    rmSync(work, { recursive: true, force: true });
  });
  return { env, work, rootfs };
}
