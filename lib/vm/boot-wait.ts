// Waiting for a freshly launched VM to become ready, shared by every driver: the readiness check
// races the VMM's exit and a deadline, and any failure becomes one RunmError that quotes the last
// lines of the guest console (and of the VMM's own log).
import { deadlineExceeded, RunmError, unavailable } from "../errors.ts";
import { ConsoleWatcher, tailLines } from "./console-log.ts";
import type { BootTimeline } from "./timeline.ts";
import type { ReadyCheck, Vm } from "./vm-interface.ts";

/** The kernel prints this as it hands over to the initramfs (pr_info, shown at the default level). */
export const INIT_PATTERN = /Run \/init as init process/;
export const DEFAULT_BOOT_TIMEOUT_MS = 60_000;

export interface BootWaitInput {
  vm: Vm;
  ready: ReadyCheck;
  timeline: BootTimeline;
  /** Resolves with the VMM's exit code when it exits. */
  vmmExited: Promise<number | null>;
  /** The VMM's own stderr log, quoted after the console on failure. */
  vmmLog: string;
  vmmName: string;
  timeoutMs?: number;
}

export function bootError(
  input: Pick<BootWaitInput, "vm" | "vmmLog" | "vmmName">,
  msg: string,
  timeout: boolean,
  cause?: unknown,
) {
  const vmm = tailLines(input.vmmLog, 5).map((l) => `${input.vmmName}: ${l}`);
  const details = [...tailLines(input.vm.consolePath, 15), ...vmm];
  const opts = {
    cause,
    details: details.length ? details : ["(the console is empty)"],
    hint: "the console's last lines are below; rebuild the guest with: runm build all",
  };
  return timeout ? deadlineExceeded(msg, opts) : unavailable(msg, opts);
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

export async function waitForBoot(input: BootWaitInput): Promise<void> {
  const { vm, ready, timeline } = input;
  let markerSeen!: () => void;
  const seen = new Promise<void>((r) => {
    markerSeen = r;
  });
  const patterns: Record<string, RegExp> = { init: INIT_PATTERN };
  if (ready.kind === "console") patterns.marker = new RegExp(escapeRe(ready.marker));
  const watcher = new ConsoleWatcher(vm.consolePath, patterns, (name, at) => {
    if (name === "init") timeline.mark("init", at);
    if (name === "marker") markerSeen();
  }).start();
  input.vmmExited.finally(() => watcher.stop());

  const abort = new AbortController();
  const timeoutMs = input.timeoutMs ?? DEFAULT_BOOT_TIMEOUT_MS;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const check =
    ready.kind === "agent"
      ? ready.handshake(vm, abort.signal)
      : ready.kind === "console"
        ? seen
        : Promise.resolve();
  try {
    await Promise.race([
      check,
      input.vmmExited.then((code) => {
        throw bootError(input, `the VM exited during boot (${input.vmmName} exit ${code})`, false);
      }),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(bootError(input, `the VM was not ready within ${timeoutMs} ms`, true)),
          timeoutMs,
        );
      }),
    ]);
  } catch (e) {
    abort.abort();
    if (e instanceof RunmError && e.details.length) throw e;
    throw bootError(input, `the guest did not come up: ${(e as Error).message}`, false, e);
  } finally {
    clearTimeout(timer);
    // The init line comes before any readiness; keep watching only if it has not shown yet.
    if (timeline.get("init") !== undefined) watcher.stop();
    else setTimeout(() => watcher.stop(), 1000);
  }
}
