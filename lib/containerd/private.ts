// A containerd that runm starts and owns, for tests, scenarios and `runm dev containerd`: its own
// config, root, state and sockets under one dir, started and stopped by PID. Stopping it removes
// every task, shim and VM it started, then its runtime files (or, for a temp dir, the whole dir).
// Nothing of the host's containerd is touched.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RUNM_ANNOTATIONS } from "../constants.ts";
import { failedPrecondition, invalidArgument } from "../errors.ts";
import { writeFileAtomic } from "../fs-atomic.ts";
import { logger } from "../log.ts";
import { detachMountsUnder } from "../sys/mounts.ts";
import { requireTool } from "../tools.ts";
import {
  type ConfigOptions,
  type ContainerdLayout,
  containerdConfig,
  containerdLayout,
  criCniDir,
} from "./config.ts";
import { type Ctr, ctrAt } from "./ctr.ts";
import { type ContainerdDaemon, containerdVersion, startDaemon } from "./daemon.ts";
import { deleteAllTasks, killPids, leftoverProcesses } from "./teardown.ts";

const log = logger("containerd");

/** Host hooks a dev containerd's specs may run: the shell (tests) and nerdctl's own hook. */
const DEV_HOST_HOOKS = ["/bin/sh", "/usr/local/bin/nerdctl", "/usr/bin/nerdctl"];

/**
 * The runm.toml its shims read: a private containerd is for development, tests and scenarios, so
 * its containers may set every runm annotation and run a shell or nerdctl as host hooks (a
 * production install allows none of that by default: shim/policy.ts).
 */
const DEV_SHIM_CONFIG = `# runm's shims under this private containerd (lib/containerd/private.ts)
[policy]
allow_annotations = [${RUNM_ANNOTATIONS.map((a) => JSON.stringify(a)).join(", ")}]
allow_host_hooks = [${DEV_HOST_HOOKS.map((a) => JSON.stringify(a)).join(", ")}]
`;
const shimConfigDir = (l: ContainerdLayout) => join(l.dir, "runm-config");

/** sun_path holds 108 bytes with the NUL; the ttrpc socket is the layout's longest path. */
const SUN_PATH_MAX = 107;

export interface PrivateContainerd extends ContainerdLayout {
  pid: number;
  /** Resolves with the exit code (or signal name) when containerd exits. */
  exited: Promise<number | string>;
  /** Run ctr against this daemon; throws RunmError with ctr's stderr on failure. */
  ctr: Ctr;
  /** Idempotent; safe to call from several signal handlers. */
  stop(): Promise<void>;
}

export interface StartOptions extends ConfigOptions {
  /**
   * Keep everything here; stop then removes only the runtime state and sockets, so images survive
   * (the dev containerd). Default: a fresh temp dir, removed entirely on stop.
   */
  dir?: string;
  /** Parent of the temp dir (default: the OS temp dir). Keep it short: socket paths ≤ 107 bytes. */
  parent?: string;
  /** containerd binary (default: containerd on PATH, e.g. Debian's 1.6). */
  binary?: string;
  /** Extra dirs put first on the daemon's PATH (where it finds containerd-shim-runm-v2). */
  path?: string[];
  /** Extra environment for the daemon (and so for every shim it starts); may use the layout. */
  env?: Record<string, string> | ((l: ContainerdLayout) => Record<string, string>);
  /** Every line containerd writes; without it they go to the layout's log file. */
  onLine?: (line: string) => void;
  /** For callers that handle Ctrl-C themselves: see DaemonOptions.ownProcessGroup. */
  ownProcessGroup?: boolean;
}

/** The config schema follows the daemon's major version; runm knows 1.x and 2.x. */
async function containerdMajor(
  binary = requireTool("containerd", "to run a private containerd"),
): Promise<1 | 2> {
  const { version, major } = await containerdVersion(binary);
  if (major === 1 || major === 2) return major;
  throw failedPrecondition(
    `${binary} is containerd ${version || "(no version)"}; runm runs under 1.6, 1.7 and 2.x`,
    {
      hint: "use containerd 1.6 or later (Debian's containerd package)",
    },
  );
}

export async function startPrivateContainerd(o: StartOptions = {}): Promise<PrivateContainerd> {
  const temp = o.dir === undefined;
  const dir = o.dir ?? mkdtempSync(join(o.parent ?? tmpdir(), "runm-ctd-"));
  const l = containerdLayout(dir);
  let daemon: ContainerdDaemon;
  try {
    if (Buffer.byteLength(l.ttrpcAddress) > SUN_PATH_MAX)
      throw invalidArgument(`containerd's socket path is too long for a unix socket: ${l.ttrpcAddress}`, {
        hint: "use a shorter state dir (RUNM_STATE_DIR) or temp dir parent",
      });
    mkdirSync(l.bin, { recursive: true });
    if (o.cri && o.criSetup)
      for (const d of ["bin", "conf"]) mkdirSync(join(criCniDir(l, o), d), { recursive: true });
    await writeFileAtomic(l.config, containerdConfig(l, await containerdMajor(o.binary), o));
    await writeFileAtomic(join(shimConfigDir(l), "runm.toml"), DEV_SHIM_CONFIG);
    daemon = await startDaemon({
      binary: o.binary,
      config: l.config,
      address: l.address,
      env: {
        ...process.env,
        RUNM_CONFIG_DIR: shimConfigDir(l),
        ...(typeof o.env === "function" ? o.env(l) : o.env),
        PATH: [...(o.path ?? []), l.bin, process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin"].join(":"),
      },
      logFile: l.log,
      onLine: o.onLine,
      ownProcessGroup: o.ownProcessGroup,
    });
  } catch (e) {
    if (temp) rmSync(dir, { recursive: true, force: true });
    throw e;
  }

  const ctr = ctrAt(l.address);
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      await deleteAllTasks(ctr);
      await daemon.stop();
      const left = leftoverProcesses(l);
      if (left.length) {
        log.warn(`stopping ${left.length} leftover process(es): ${left.join(", ")}`);
        await killPids(left);
      }
      detachMountsUnder(dir); // e.g. a crashed task's rootfs
      const remove = temp ? [dir] : [l.state, l.address, l.ttrpcAddress];
      for (const p of remove) await rm(p, { recursive: true, force: true });
    })();
    return stopping;
  };
  log.debug(`private containerd pid ${daemon.pid} at ${l.address}`);
  return { ...l, pid: daemon.pid, exited: daemon.exited, ctr, stop };
}
