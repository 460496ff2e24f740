// OCI hooks where the OCI runtime spec puts them. The runtime-namespace hooks (prestart,
// createRuntime, poststart, poststop) belong to the runtime's side: for runm that is the host,
// so the shim runs them, with the container's state JSON on stdin (bundle = the host bundle, pid
// = the guest pid). The container-namespace hooks (createContainer, startContainer) stay in the
// spec for runc in the guest. nerdctl depends on this: its `nerdctl internal oci-hook` sets up
// networking, /etc/hosts and logging from createRuntime and poststop on the host.
//
// A hook is a host program run as root, so only the ones the operator lists in runm.toml
// ([policy] allow_host_hooks, by absolute path) run; a spec asking for another fails Create.
import { spawn } from "node:child_process";
import { failedPrecondition, permissionDenied } from "../lib/errors.ts";
import { logger } from "../lib/log.ts";

const log = logger("hooks");

/** The runtime-spec version of the state runm hands hooks. */
const OCI_VERSION = "1.0.2";

export const HOST_HOOK_KINDS = ["prestart", "createRuntime", "poststart", "poststop"] as const;
export type HostHookKind = (typeof HOST_HOOK_KINDS)[number];

export interface OciHook {
  path: string;
  args?: string[];
  env?: string[];
  /** Seconds. */
  timeout?: number;
}
export type OciHooks = Partial<Record<string, OciHook[]>>;

/** The OCI state a hook reads on stdin. */
export interface OciState {
  ociVersion: string;
  id: string;
  status: "creating" | "created" | "running" | "stopped";
  pid: number;
  bundle: string;
  annotations?: Record<string, string>;
}

export function ociState(
  id: string,
  status: OciState["status"],
  pid: number,
  bundle: string,
  annotations?: Record<string, string>,
): OciState {
  return { ociVersion: OCI_VERSION, id, status, pid, bundle, ...(annotations ? { annotations } : {}) };
}

/** Without a timeout of its own, a hook may run this long before it is killed and fails. */
const DEFAULT_HOOK_TIMEOUT_S = 120;
/** How much of a failed hook's stderr the error carries. */
const STDERR_TAIL = 2048;

/** The spec's hooks split: the ones the shim runs on the host, and the rest for guest runc. */
export function splitHooks(hooks: OciHooks | undefined): {
  host: Record<HostHookKind, OciHook[]>;
  guest: OciHooks | undefined;
} {
  const host = Object.fromEntries(HOST_HOOK_KINDS.map((k) => [k, hooks?.[k] ?? []])) as Record<
    HostHookKind,
    OciHook[]
  >;
  const rest = Object.entries(hooks ?? {}).filter(
    ([k]) => !(HOST_HOOK_KINDS as readonly string[]).includes(k),
  );
  return { host, guest: rest.length ? Object.fromEntries(rest) : undefined };
}

/** Refuse a host hook whose program the operator did not allow, naming it and the option. */
export function checkHostHooks(hooks: OciHooks | undefined, allowed: string[]): void {
  for (const kind of HOST_HOOK_KINDS)
    for (const h of hooks?.[kind] ?? []) {
      if (typeof h?.path === "string" && h.path.startsWith("/") && allowed.includes(h.path)) continue;
      throw permissionDenied(
        `the ${kind} hook ${JSON.stringify(h?.path)} is not allowed by the runtime's policy`,
        {
          hint: `runm runs hooks on the host only for programs listed by absolute path in allow_host_hooks under [policy] in runm.toml`,
        },
      );
    }
}

/**
 * Run `hooks` in order; the first that fails (non-zero exit, signal, timeout, cannot start) stops
 * the rest and throws one line naming the kind and program, carrying the hook's stderr.
 */
export async function runHooks(kind: HostHookKind, hooks: OciHook[], state: OciState): Promise<void> {
  for (const h of hooks) await runHook(kind, h, state);
}

async function runHook(kind: HostHookKind, h: OciHook, state: OciState): Promise<void> {
  const [argv0, ...args] = h.args?.length ? h.args : [h.path];
  const timeoutS = h.timeout && h.timeout > 0 ? h.timeout : DEFAULT_HOOK_TIMEOUT_S;
  // Its own process group (detached), so a timeout ends the hook and everything it started.
  const child = spawn(h.path, args, {
    argv0,
    // Exactly the hook's env (the OCI spec's), not the shim's.
    env: Object.fromEntries(
      (h.env ?? []).map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]),
    ),
    cwd: state.bundle,
    detached: true,
    stdio: ["pipe", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-STDERR_TAIL);
  });
  child.stdin?.on("error", () => {}); // a hook that does not read its stdin
  child.stdin?.end(JSON.stringify(state));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup(child.pid);
  }, timeoutS * 1000);
  const ended = await new Promise<{ code: number | null; signal: string | null; error?: Error }>(
    (resolve) => {
      child.once("error", (error) => resolve({ code: null, signal: null, error }));
      child.once("exit", (code, signal) => resolve({ code, signal }));
    },
  );
  clearTimeout(timer);
  killGroup(child.pid); // whatever it left running in its group
  if (ended.error) throw hookFailed(kind, h, `cannot start: ${ended.error.message}`, "");
  if (timedOut) throw hookFailed(kind, h, `did not finish within ${timeoutS} s`, stderr);
  if (ended.code !== 0)
    throw hookFailed(
      kind,
      h,
      ended.signal ? `was killed by ${ended.signal}` : `exited ${ended.code}`,
      stderr,
    );
  log.debug(`${kind} hook ${h.path} ran for ${state.id}`);
}

function killGroup(pid: number | undefined): void {
  if (!pid) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // the group is already gone
  }
}

function hookFailed(kind: HostHookKind, h: OciHook, how: string, stderr: string): Error {
  const tail = stderr.trim();
  return failedPrecondition(`the ${kind} hook ${h.path} ${how}${tail ? `: ${tail}` : ""}`);
}
