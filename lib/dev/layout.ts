// Where the dev containerd lives: a fixed dir under the state dir (so images survive restarts),
// plus what only the dev one has: its lock, the env file `runm dev env` reads, and a dir for the
// logs of the shims and VMs it starts.
import { join } from "node:path";
import { DEV_LOCK_NAME, DEV_STATE_SUBDIR } from "../constants.ts";
import { type ContainerdLayout, containerdLayout } from "../containerd/config.ts";
import { dirs } from "../paths.ts";

export interface DevLayout extends ContainerdLayout {
  lock: string;
  /** Written while running: address, runtime, namespace, pid (for `runm dev env`). */
  envFile: string;
  /** Shims and VMs started by this containerd write their logs here (RUNM_DEV_LOG_DIR). */
  shimLogs: string;
}

export function devLayout(stateDir = dirs().state): DevLayout {
  const l = containerdLayout(join(stateDir, DEV_STATE_SUBDIR));
  return {
    ...l,
    lock: join(l.dir, DEV_LOCK_NAME),
    envFile: join(l.dir, "env.json"),
    shimLogs: join(l.dir, "logs"),
  };
}
