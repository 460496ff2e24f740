// containerd configuration runm generates: a private daemon for tests and dev (its own root, state
// and sockets under one directory) and the snippet that registers io.containerd.runm.v2 with CRI.
import { join } from "node:path";

/** containerd's runtime name for runm; containerd maps it to the binary containerd-shim-runm-v2. */
import { RUNM_RUNTIME_NAME, RUNM_SHIM_BINARY } from "../constants.ts";

export const RUNTIME_NAME = RUNM_RUNTIME_NAME;
export const SHIM_BINARY_NAME = RUNM_SHIM_BINARY;

export interface PrivateLayout {
  dir: string;
  config: string;
  root: string;
  state: string;
  address: string;
  ttrpcAddress: string;
  log: string;
  /** Holds containerd-shim-runm-v2 (put first on the daemon's PATH). */
  bin: string;
}

export function privateLayout(dir: string): PrivateLayout {
  const address = join(dir, "containerd.sock");
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

export interface PrivateConfigOptions {
  logLevel?: "debug" | "info" | "warn" | "error";
  /** Runtime options file (runm's [shim] TOML) handed to the shim through CRI's runtime config. */
  runtimeConfigPath?: string;
}

/** A version-2 config (containerd 1.6/1.7) that keeps everything under the layout's dir. */
export function privateConfig(l: PrivateLayout, o: PrivateConfigOptions = {}): string {
  return [
    "version = 2",
    `root = ${JSON.stringify(l.root)}`,
    `state = ${JSON.stringify(l.state)}`,
    // CRI would want a CNI setup and the host's cgroup layout; a private daemon serves ctr only.
    'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
    "",
    "[grpc]",
    `  address = ${JSON.stringify(l.address)}`,
    "[ttrpc]",
    `  address = ${JSON.stringify(l.ttrpcAddress)}`,
    "[debug]",
    `  level = ${JSON.stringify(o.logLevel ?? "info")}`,
    "",
    criRuntimeSnippet(o.runtimeConfigPath),
  ].join("\n");
}

/** What to add to a system containerd's config.toml so CRI clients can pick runm by handler "runm". */
export function criRuntimeSnippet(runtimeConfigPath?: string): string {
  const lines = [
    '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runm]',
    `  runtime_type = ${JSON.stringify(RUNTIME_NAME)}`,
  ];
  if (runtimeConfigPath) {
    lines.push(
      '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runm.options]',
      `  ConfigPath = ${JSON.stringify(runtimeConfigPath)}`,
    );
  }
  return lines.join("\n");
}
