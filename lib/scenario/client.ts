// The container CLI a scenario drives: nerdctl when it is on PATH, ctr otherwise. Both turn the
// same RunSpec into their argv; what ctr lacks (named volumes, -p, run -u) is mapped or noted.
import type { ShOptions, ShResult } from "./types.ts";

export interface Mount {
  /** bind: a host path; volume: a volume name (ctr maps it to a host dir). */
  type: "bind" | "volume";
  source: string;
  target: string;
  readonly?: boolean;
}

export interface RunSpec {
  image: string;
  name: string;
  cmd?: string[];
  detach?: boolean;
  /** Remove the container when it exits (not with detach). */
  rm?: boolean;
  tty?: boolean;
  env?: string[];
  cwd?: string;
  mounts?: Mount[];
  /** host port → container port, on 127.0.0.1 only. */
  publish?: { host: number; container: number }[];
  /** Host loopback ports the container may reach at the VM's gateway (runm only). */
  hostLoopback?: number[];
  /** Run in the VM of this (first) container: runm's sandbox annotation (runc ignores it). */
  sandbox?: string;
  /** Join the PID namespace of a running container (ctr names it by its task pid). */
  sharePidWith?: { name: string; pid: number };
}

export interface ExecSpec {
  cmd: string[];
  tty?: boolean;
  user?: string;
  cwd?: string;
  env?: string[];
  /** ctr needs an exec id; nerdctl ignores it. */
  execId?: string;
}

export interface TaskInfo {
  name: string;
  status: string;
  /** The task's pid as containerd reports it (under runm: the guest's). */
  pid?: number;
}

/** How commands are run (the context's streaming `sh`). */
export type Sh = (argv: string[], opts?: ShOptions) => Promise<ShResult>;

export interface ContainerClient {
  readonly kind: "ctr" | "nerdctl";
  runArgv(spec: RunSpec): string[];
  execArgv(name: string, spec: ExecSpec): string[];
  run(spec: RunSpec, opts?: ShOptions): Promise<ShResult>;
  exec(name: string, spec: ExecSpec, opts?: ShOptions): Promise<ShResult>;
  /** Running and stopped containers with a task. */
  tasks(): Promise<TaskInfo[]>;
  /** All containers, with or without a task. */
  containers(): Promise<string[]>;
  removeForce(name: string): Promise<void>;
  removeVolume(name: string): Promise<void>;
  /** What a detached container has written so far. */
  logs(name: string): Promise<string>;
  /** Whether an image ref is present. */
  hasImage(ref: string): Promise<boolean>;
  /** Load an OCI archive. */
  load(archive: string): Promise<void>;
}
