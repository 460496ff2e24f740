// `runm dev containerd`: one foreground containerd with the runm runtime registered, a tagged log
// stream of it and everything it starts, and a teardown on Ctrl-C that leaves nothing running.
import { existsSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { onInterrupt } from "../cleanup.ts";
import {
  DEV_LOG_DIR_ENV,
  DEV_NAMESPACE,
  hostGuestArch,
  LOCAL_IMAGE_REFS,
  RUNM_RUNTIME_NAME,
  RUNM_SHIM_BINARY,
  RUNM_SNAPSHOTTER,
  SHIM_BUNDLE_FILES,
} from "../constants.ts";
import { startPrivateContainerd } from "../containerd/private.ts";
import { builtShimBinary } from "../containerd/shim-binary.ts";
import { killPids, leftoverProcesses } from "../containerd/teardown.ts";
import { failedPrecondition, messageOf } from "../errors.ts";
import { writeFileAtomic } from "../fs-atomic.ts";
import { readGuestManifest } from "../guest-manifest.ts";
import { lockHolder, tryLock } from "../lock.ts";
import { logger, logLevelName } from "../log.ts";
import { REPO_ROOT } from "../paths.ts";
import { type DevLayout, devLayout } from "./layout.ts";
import {
  bundleConsoleFiles,
  followFiles,
  formatLine,
  isStartupNoise,
  type LogLine,
  logDirFiles,
  parseContainerdLine,
} from "./log-stream.ts";
import { prepareRuntime } from "./prepare.ts";

const log = logger("dev");

export interface DevEnv {
  CONTAINERD_ADDRESS: string;
  CONTAINERD_NAMESPACE: string;
  RUNM_RUNTIME: string;
  CONTAINERD_SNAPSHOTTER: string;
  pid: number;
}

export function devEnvLines(env: DevEnv): string[] {
  return [
    `export CONTAINERD_ADDRESS=${env.CONTAINERD_ADDRESS}`,
    `export CONTAINERD_NAMESPACE=${env.CONTAINERD_NAMESPACE}`,
    `export RUNM_RUNTIME=${env.RUNM_RUNTIME}`,
    `export CONTAINERD_SNAPSHOTTER=${env.CONTAINERD_SNAPSHOTTER}`,
  ];
}

/** Dirs that hold an already-built shim binary (RUNM_SHIM_DIR first), for containerd's PATH. */
export function shimDirs(): string[] {
  const candidates = [process.env.RUNM_SHIM_DIR, join(REPO_ROOT, "bin")];
  return candidates.filter((d): d is string => !!d && existsSync(join(d, RUNM_SHIM_BINARY)));
}

/** --no-build: the shim built last time, said so when the sources changed since. */
function cachedShimDir(): string[] {
  const built = builtShimBinary();
  if (built?.stale) log.warn(`--no-build: using a shim built from older sources (${built.path})`);
  return built ? [dirname(built.path)] : [];
}

function checkParts(extraPath: string[]): void {
  if (!extraPath.length && !Bun.which(RUNM_SHIM_BINARY))
    log.warn(`${RUNM_SHIM_BINARY} not found: containers with --runtime ${RUNM_RUNTIME_NAME} will fail`);
  try {
    readGuestManifest(hostGuestArch());
  } catch (e) {
    log.warn(messageOf(e));
  }
}

export interface DevOptions {
  /** Start from empty state and wipe it (images, snapshots) on exit too. */
  clean?: boolean;
  cri?: boolean;
  layout?: DevLayout;
  /** Skip building the guest image and shim (use what is there). */
  noBuild?: boolean;
  /** Where the tagged log goes (default stderr). */
  write?: (s: string) => void;
  colour?: boolean;
}

/** Runs until SIGINT/SIGTERM or containerd exits; resolves after the teardown. */
export async function runDevContainerd(opts: DevOptions = {}): Promise<number> {
  const layout = opts.layout ?? devLayout();
  const write = opts.write ?? ((s: string) => process.stderr.write(s));
  const colour = opts.colour ?? (process.stderr.isTTY && !process.env.NO_COLOR);
  const emit = (l: LogLine) => write(`${formatLine(l, colour)}\n`);
  const verbose = ["debug", "trace"].includes(logLevelName());

  const lock = tryLock(layout.lock);
  if (!lock) {
    const owner = lockHolder(layout.lock);
    throw failedPrecondition(`runm dev containerd is already running${owner ? ` (pid ${owner})` : ""}`, {
      hint: `use that one (runm dev env prints its address), or stop it with Ctrl-C in its terminal${owner ? ` or: kill ${owner}` : ""}`,
    });
  }
  try {
    // A previous run that was SIGKILLed may have left its containerd, shims or VMs behind.
    const stale = leftoverProcesses(layout);
    if (stale.length) {
      log.warn(`stopping ${stale.length} process(es) left by a previous run: ${stale.join(", ")}`);
      await killPids(stale);
    }
    if (opts.clean) {
      log.info(`--clean: removing ${layout.dir}`);
      for (const p of [layout.root, layout.state, layout.envFile, layout.config, layout.bin])
        await rm(p, { recursive: true, force: true });
    }
    await rm(layout.shimLogs, { recursive: true, force: true });
    await mkdir(layout.shimLogs, { recursive: true });
    const extraPath = opts.noBuild
      ? [...cachedShimDir(), ...shimDirs()]
      : [await prepareRuntime(), ...shimDirs()];
    checkParts(extraPath);
    const ctd = await startPrivateContainerd({
      dir: layout.dir,
      cri: opts.cri,
      path: extraPath,
      env: { [DEV_LOG_DIR_ENV]: layout.shimLogs },
      onLine: (line) => {
        const l = parseContainerdLine(line);
        if (verbose || !isStartupNoise(l)) emit(l);
      },
      ownProcessGroup: true,
    });
    const stopFollowing = followFiles(
      () => [...logDirFiles(layout.shimLogs), ...bundleConsoleFiles(layout.state, SHIM_BUNDLE_FILES.console)],
      emit,
    );
    const env: DevEnv = {
      CONTAINERD_ADDRESS: ctd.address,
      CONTAINERD_NAMESPACE: DEV_NAMESPACE,
      RUNM_RUNTIME: RUNM_RUNTIME_NAME,
      CONTAINERD_SNAPSHOTTER: RUNM_SNAPSHOTTER,
      pid: process.pid,
    };
    // Ctrl-C is ours before the banner says the daemon is up: a SIGINT right after it must stop
    // everything, not kill this process with its containerd left running.
    let release: () => void = () => {};
    const stopped = new Promise<string>((resolve) => {
      release = onInterrupt((sig) => resolve(sig));
      ctd.exited.then((code) => resolve(`containerd exited (${code})`));
    });
    await writeFileAtomic(layout.envFile, JSON.stringify(env, null, 2));
    process.stdout.write(
      [
        `containerd is running (pid ${ctd.pid}); in another terminal:`,
        "",
        ...devEnvLines(env).map((l) => `  ${l}`),
        "",
        "  runm image build busybox",
        `  ctr run --rm --runtime ${RUNM_RUNTIME_NAME} ${LOCAL_IMAGE_REFS.busybox} hello echo hi`,
        "  runm scenario 2025-07-05:01",
        "",
        "Ctrl-C stops containerd and every shim and VM it started.",
        "",
      ].join("\n"),
    );
    log.debug(`shims log to ${layout.shimLogs} (${DEV_LOG_DIR_ENV})`);

    const reason = await stopped;
    release();
    log.info(`${reason}: stopping containerd, shims and VMs`);
    await ctd.stop();
    stopFollowing();
    await rm(layout.envFile, { force: true });
    await rm(layout.shimLogs, { recursive: true, force: true });
    if (opts.clean) {
      for (const p of [layout.root, layout.config, layout.bin]) await rm(p, { recursive: true, force: true });
    }
    log.info(`stopped; nothing left running${opts.clean ? ", state wiped" : ""}`);
    return reason.startsWith("SIG") ? 0 : 1;
  } finally {
    lock.release();
  }
}

/** The running dev containerd's environment, or undefined. */
export async function readDevEnv(layout = devLayout()): Promise<DevEnv | undefined> {
  if (lockHolder(layout.lock) === undefined || !existsSync(layout.envFile)) return undefined;
  return (await Bun.file(layout.envFile).json()) as DevEnv;
}
