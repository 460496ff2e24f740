// A containerd that runm starts and owns: the dev one (fixed layout under the state dir) or a
// private throwaway one (temp dir; tests, `runm scenario --with-containerd`). Stopping it removes
// every task, shim and VM it started, then its runtime dirs.
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { DEV_LOG_DIR_ENV } from "../constants.ts";
import { writeFileAtomic } from "../fs-atomic.ts";
import { logger } from "../log.ts";
import { type ContainerdChild, startContainerd } from "./containerd-process.ts";
import {
  type ConfigOptions,
  type ContainerdLayout,
  containerdConfigToml,
  containerdLayout,
} from "./layout.ts";
import { deleteAllTasks, killPids, leftoverProcesses } from "./teardown.ts";

const log = logger("dev");

export interface ManagedOptions extends ConfigOptions {
  /** Dirs put first on containerd's PATH, where it looks for containerd-shim-runm-v2. */
  pathPrepend?: string[];
  onLine?: (line: string) => void;
  /** Also remove the whole base dir (images, snapshots) on stop. */
  removeAllOnStop?: boolean;
}

export interface ManagedContainerd {
  layout: ContainerdLayout;
  address: string;
  pid: number;
  exited: Promise<number | string>;
  /** Idempotent; safe to call from several signal handlers. */
  stop(): Promise<void>;
}

export async function startManagedContainerd(
  layout: ContainerdLayout,
  opts: ManagedOptions = {},
): Promise<ManagedContainerd> {
  await mkdir(layout.base, { recursive: true });
  await mkdir(layout.logs, { recursive: true });
  await writeFileAtomic(layout.config, containerdConfigToml(layout, opts));
  const PATH = [...(opts.pathPrepend ?? []), process.env.PATH ?? ""].filter(Boolean).join(delimiter);
  const child: ContainerdChild = await startContainerd({
    config: layout.config,
    socket: layout.socket,
    env: { PATH, [DEV_LOG_DIR_ENV]: layout.logs },
    onLine: opts.onLine,
  });
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      await deleteAllTasks(layout);
      await child.stop();
      const left = leftoverProcesses(layout);
      if (left.length) {
        log.warn(`stopping ${left.length} leftover process(es): ${left.join(", ")}`);
        await killPids(left);
      }
      await rm(layout.state, { recursive: true, force: true });
      await rm(layout.ttrpcSocket, { force: true });
      await rm(layout.socket, { force: true });
      if (opts.removeAllOnStop) await rm(layout.base, { recursive: true, force: true });
    })();
    return stopping;
  };
  return { layout, address: layout.socket, pid: child.pid, exited: child.exited, stop };
}

/** A throwaway containerd in a fresh temp dir, removed entirely on stop. */
export async function startPrivateContainerd(opts: ManagedOptions = {}): Promise<ManagedContainerd> {
  const base = await mkdtemp(join(tmpdir(), "runm-ctd-"));
  try {
    return await startManagedContainerd(containerdLayout(base), { ...opts, removeAllOnStop: true });
  } catch (e) {
    await rm(base, { recursive: true, force: true });
    throw e;
  }
}
