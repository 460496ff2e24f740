// Where a runm-managed containerd keeps everything, and the config that points it there: its own
// root, state and sockets (never the system containerd's /var/lib/containerd or /run/containerd),
// CRI off unless asked, and the runm runtime reachable on PATH.
import { join } from "node:path";
import { DEV_LOCK_NAME, DEV_NAMESPACE, DEV_SOCKET_NAME, DEV_STATE_SUBDIR } from "../constants.ts";
import { dirs } from "../paths.ts";

export interface ContainerdLayout {
  /** Everything lives under here; `--clean` removes it. */
  base: string;
  root: string;
  /** containerd's state dir (bundles, fifos): a runtime dir removed on stop. */
  state: string;
  socket: string;
  ttrpcSocket: string;
  config: string;
  lock: string;
  /** Shims and VMs started by this containerd write their logs here (RUNM_DEV_LOG_DIR). */
  logs: string;
  /** Written while running: address, runtime, namespace, pid (for `runm dev env`). */
  envFile: string;
  namespace: string;
}

export function containerdLayout(base: string): ContainerdLayout {
  return {
    base,
    root: join(base, "root"),
    state: join(base, "run"),
    socket: join(base, DEV_SOCKET_NAME),
    ttrpcSocket: join(base, `${DEV_SOCKET_NAME}.ttrpc`),
    config: join(base, "config.toml"),
    lock: join(base, DEV_LOCK_NAME),
    logs: join(base, "logs"),
    envFile: join(base, "env.json"),
    namespace: DEV_NAMESPACE,
  };
}

export function devLayout(stateDir = dirs().state): ContainerdLayout {
  return containerdLayout(join(stateDir, DEV_STATE_SUBDIR));
}

export interface ConfigOptions {
  /** Keep the CRI plugin (for crictl / kubelet); off by default. */
  cri?: boolean;
  logLevel?: "debug" | "info" | "warn" | "error";
}

const q = (s: string) => JSON.stringify(s); // TOML basic strings share JSON's escapes for paths

export function containerdConfigToml(l: ContainerdLayout, opts: ConfigOptions = {}): string {
  const disabled = opts.cri ? [] : ["io.containerd.grpc.v1.cri"];
  return `# Written by runm; regenerated on every start.
version = 2
root = ${q(l.root)}
state = ${q(l.state)}
disabled_plugins = [${disabled.map(q).join(", ")}]

[grpc]
  address = ${q(l.socket)}

[ttrpc]
  address = ${q(l.ttrpcSocket)}

[debug]
  level = ${q(opts.logLevel ?? "info")}

[plugins."io.containerd.internal.v1.opt"]
  path = ${q(join(l.root, "opt"))}
`;
}
