// Where a containerd that runm starts keeps everything, and the config that points it there: its
// own root, state and sockets under one dir (never the system's /var/lib/containerd or
// /run/containerd), CRI off unless asked.
import { join } from "node:path";
import { DEV_SOCKET_NAME, RUNM_RUNTIME_NAME } from "../constants.ts";

export interface ContainerdLayout {
  /** Everything lives under here. */
  dir: string;
  config: string;
  /** Images, content and snapshots: what survives a restart. */
  root: string;
  /** Runtime state (bundles, fifos): removed on stop. */
  state: string;
  /** The gRPC socket (what ctr's --address and CONTAINERD_ADDRESS name). */
  address: string;
  ttrpcAddress: string;
  /** containerd's own output, unless the caller takes it line by line. */
  log: string;
  /** First on the daemon's PATH: a place to install containerd-shim-runm-v2. */
  bin: string;
}

export function containerdLayout(dir: string): ContainerdLayout {
  const address = join(dir, DEV_SOCKET_NAME);
  return {
    dir,
    config: join(dir, "config.toml"),
    root: join(dir, "root"),
    state: join(dir, "state"),
    address,
    ttrpcAddress: `${address}.ttrpc`,
    log: join(dir, "containerd.log"),
    bin: join(dir, "bin"),
  };
}

export interface ConfigOptions {
  /** Keep the CRI plugin (for crictl / kubelet); off by default. */
  cri?: boolean;
  /**
   * With `cri`: the pod sandbox image, and the runtime handler `runm` (CRI
   * RuntimeClass) mapped to io.containerd.runm.v2; CNI from `cniDir`/{bin,conf} (empty: only
   * host-network pods); its streaming server on 127.0.0.1 at a free port.
   */
  criSetup?: { sandboxImage: string; cniDir?: string };
  logLevel?: "debug" | "info" | "warn" | "error";
}

const q = (s: string) => JSON.stringify(s); // TOML basic strings share JSON's escapes for paths

/**
 * CRI's plugins, off unless asked: CRI would want a CNI setup and the host's cgroup layout;
 * without it the daemon serves ctr only. 2.x split CRI into three plugins; its pause-container
 * sandbox controller and the sandbox-controller API over it go too (with CRI's images off they
 * fail to load and log so; ctr's task path does not use them).
 */
const CRI_PLUGINS = {
  1: ["io.containerd.grpc.v1.cri"],
  2: [
    "io.containerd.grpc.v1.cri",
    "io.containerd.cri.v1.runtime",
    "io.containerd.cri.v1.images",
    "io.containerd.podsandbox.controller.v1.podsandbox",
    "io.containerd.grpc.v1.sandbox-controllers",
  ],
} as const;

/**
 * A config that keeps everything under the layout's dir, in the schema of the daemon's major
 * version: version 2 for containerd 1.6/1.7, version 3 for 2.x (which would otherwise migrate a
 * version-2 file in memory on every start and log that it did).
 */
export function containerdConfig(l: ContainerdLayout, major: 1 | 2, o: ConfigOptions = {}): string {
  const disabled = o.cri ? [] : CRI_PLUGINS[major];
  return `# Written by runm; regenerated on every start.
version = ${major === 1 ? 2 : 3}
root = ${q(l.root)}
state = ${q(l.state)}
disabled_plugins = [${disabled.map(q).join(", ")}]

[grpc]
  address = ${q(l.address)}

[ttrpc]
  address = ${q(l.ttrpcAddress)}

[debug]
  level = ${q(o.logLevel ?? "info")}

[plugins."io.containerd.internal.v1.opt"]
  path = ${q(join(l.root, "opt"))}
${o.cri && o.criSetup ? CRI_SECTION[major](o.criSetup.sandboxImage, criCniDir(l, o)) : ""}`;
}

/**
 * The CRI plugin's settings for runm's CRI tests, in each major version's schema: the same
 * settings, which 2.x split across three plugins (images, runtime, and the gRPC server with its
 * streaming server). This host refuses a negative oom_score_adj, so CRI must not ask for one
 * (restrict_oom_score_adj).
 */
const CRI_SECTION: Record<1 | 2, (sandboxImage: string, cniDir: string) => string> = {
  1: (sandboxImage, cniDir) => {
    const table = (sub = "") => `[plugins."io.containerd.grpc.v1.cri"${sub}]`;
    return `
${table()}
  sandbox_image = ${q(sandboxImage)}
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
${table(".containerd")}
  snapshotter = "overlayfs"
  default_runtime_name = "runc"
${criRuntimes(table(".containerd.runtimes"))}
${table(".cni")}
  bin_dir = ${q(join(cniDir, "bin"))}
  conf_dir = ${q(join(cniDir, "conf"))}
`;
  },
  2: (sandboxImage, cniDir) => {
    const images = (sub = "") => `[plugins."io.containerd.cri.v1.images"${sub}]`;
    const runtime = (sub = "") => `[plugins."io.containerd.cri.v1.runtime"${sub}]`;
    return `
${images()}
  snapshotter = "overlayfs"
${images(".pinned_images")}
  sandbox = ${q(sandboxImage)}
${runtime()}
  restrict_oom_score_adj = true
${runtime(".containerd")}
  default_runtime_name = "runc"
${criRuntimes(runtime(".containerd.runtimes"))}
${runtime(".cni")}
  bin_dirs = [${q(join(cniDir, "bin"))}]
  conf_dir = ${q(join(cniDir, "conf"))}
[plugins."io.containerd.grpc.v1.cri"]
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
`;
  },
};

/** The runtime handlers: runc (the default) and runm, under `runtimesTable` (`[...runtimes]`). */
function criRuntimes(runtimesTable: string): string {
  const under = (name: string) => `${runtimesTable.slice(0, -1)}.${name}]`;
  return `${under("runc")}
  runtime_type = "io.containerd.runc.v2"
${under("runm")}
  runtime_type = ${q(RUNM_RUNTIME_NAME)}`;
}

/** Where CRI looks for CNI plugins (bin/) and network configs (conf/): the layout's cni/ unless set. */
export function criCniDir(l: ContainerdLayout, o: ConfigOptions): string {
  return o.criSetup?.cniDir ?? join(l.dir, "cni");
}
