// What a scenario is: an id, a description and ordered steps. A step does things through the
// context (commands whose output streams as it comes) and asserts; the first failing step fails
// the scenario and the rest are skipped. Cleanups run at the end unless --keep.
import type { LocalImageKind } from "../constants.ts";
import type { ContainerClient } from "./client.ts";

export interface Scenario {
  /** e.g. "2025-07-05:01" or "checklist:bind-mount". */
  id: string;
  description: string;
  /** Runtimes it is meaningful for (default: any). The host-loopback check needs a VM, say. */
  runtimes?: string[];
  steps: Step[];
}

export interface Step {
  name: string;
  run: (ctx: ScenarioContext) => Promise<void>;
}

export interface ShOptions {
  input?: string;
  /**
   * Keep stdin open (after `input`, if any) until the command exits. For commands on a pty
   * (`script`): an early EOF on their stdin reaches the container's terminal as end-of-input.
   */
  holdStdin?: boolean;
  env?: Record<string, string>;
  timeoutMs?: number;
  /** Don't throw on a non-zero exit (the caller asserts on `code`). */
  allowFail?: boolean;
  /** Don't echo the output (it is still captured). */
  quiet?: boolean;
}

export interface ShResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ScenarioContext {
  readonly scenario: Scenario;
  readonly client: ContainerClient;
  /** containerd runtime the containers run under (io.containerd.runm.v2 unless overridden). */
  readonly runtime: string;
  readonly keep: boolean;
  /** Run a host command; its output is streamed under the current step. */
  sh(argv: string[], opts?: ShOptions): Promise<ShResult>;
  /** A line of commentary under the current step. */
  note(text: string): void;
  /** A container name unique to this run (scn-<scenario>-<suffix>-<random>), removed at the end. */
  name(suffix: string): string;
  /** A fresh host temp dir, removed at the end (kept with --keep). */
  tmpDir(): Promise<string>;
  /** Register a cleanup; they run in reverse order after the last step. */
  defer(fn: () => Promise<void> | void, opts?: { always?: boolean }): void;
  /** The ref of a local image, built and imported into the containerd if missing. */
  image(kind: LocalImageKind): Promise<string>;
}

export function defineScenario(s: Scenario): Scenario {
  return s;
}
