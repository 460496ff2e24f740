// The one VM driver interface. QEMU (lib/vm/qemu/) and vfkit (lib/vm/vfkit/) implement it as
// siblings; callers (`runm vm run`, the shim) never ask which one they hold.
//
// Lifecycle of a Vm, in order:
//   1. driver.configure(config)  → Vm        pure: validates, allocates the runtime dir, no process
//   2. vm.start(ready)           → timeline  launches the VMM and waits until `ready` passes;
//                                            throws RunmError (with the console's last lines) if the
//                                            VMM exits, the check fails or the deadline passes
//   3. vm.agentSocket / vm.openAgentStream()  the byte stream to the guest agent (one at a time);
//                                            vm.shareMounts() says how the guest mounts the shares
//   4. vm.shutdown()                         stops every process, removes the runtime dir; safe after
//                                            a failed or no start, idempotent, and also run by the
//                                            process-wide cleanup registry on exit and signals
// State is keyed by sandbox id (one VM per sandbox; a sandbox may later hold several containers).
import type { Duplex } from "node:stream";
import { GUEST_SHARE_ROOT, type GuestArch, type GuestMode } from "../constants.ts";
import type { GuestNetwork } from "../net/guest-network.ts";
import type { BootTimeline } from "./timeline.ts";

/**
 * A host directory or file shown to the guest at guestSharePath(). Only what is named is shown:
 * a file share exposes that file, never its siblings. On Linux every VM has the same share
 * devices whatever its shares (so any VM of a shape can be restored from one template), each
 * share staged in them by name; elsewhere each may be its own device.
 */
export interface VmShare {
  /** [A-Za-z0-9_][A-Za-z0-9_.-]*, ≤ 64 chars, unique within the VM. */
  name: string;
  /** Absolute host path of a directory or a regular file. */
  hostPath: string;
  readOnly: boolean;
}

/** Where a share appears in the guest. */
/** Where the guest finds a share; `hot`: one added while the VM runs (HotShareable). */
export function guestSharePath(s: Pick<VmShare, "name" | "readOnly"> & { hot?: boolean }): string {
  return `${GUEST_SHARE_ROOT}/${s.readOnly ? "ro" : "rw"}/${s.hot ? `${HOT_SHARE_DIR}/` : ""}${s.name}`;
}

/** The directory of hot shares inside each share root (no launch-time share may take the name). */
export const HOT_SHARE_DIR = "hot";

/**
 * How writable shares keep the guest's file owners and modes. "mapped" (the default): in xattrs
 * (9p mapped-xattr); files are created on the host as the VMM's user, mode 0600, so a guest can
 * never make a setuid-root or device file on the host; but symlinks that already exist on the
 * host read as errors in the guest. "passthrough": as real owners and modes (the VMM also keeps
 * CAP_CHOWN): exact, but guest root can leave setuid-root files in the volume, as runc's
 * containers can. docs/SECURITY.md.
 */
export type ShareOwnership = "mapped" | "passthrough";

/** How the guest mounts the shares (agent MountShare), in order. */
export interface GuestShareMount {
  fstype: ShareKind;
  tag: string;
  target: string;
  readOnly: boolean;
}

/**
 * How a VM comes up. "template": a cold boot whose RAM lives in a shared file, to be snapshotted
 * (Snapshottable); "restore": RAM mapped copy-on-write from a template's file and the device state
 * loaded from its state file, running in well under a second instead of booting.
 */
export type VmBoot =
  | { kind: "cold" }
  | { kind: "template"; memoryFile: string }
  | { kind: "restore"; memoryFile: string; stateFile: string };

/** A TCP port on host 127.0.0.1 forwarded to a guest port. */
export interface VmPortForward {
  hostPort: number;
  guestPort: number;
}

export type ShareKind = "9p" | "virtiofs";

export interface VmConfig {
  /** Sandbox id: names the runtime dir and keys all state. [a-zA-Z0-9_.-], ≤ 64 chars. */
  id: string;
  arch: GuestArch;
  kernel: string;
  initrd: string;
  /** The mbin squashfs, attached read-only as the first virtio-blk disk. */
  mbinDisk: string;
  mode: GuestMode;
  /** Guest agent log level (consola name). */
  guestLogLevel?: string;
  /** Extra kernel command line words, placed before runm's own so they win (tests break boots with it). */
  extraCmdline?: string[];
  cpus: number;
  memoryMiB: number;
  /** Default cold. */
  boot?: VmBoot;
  shares: VmShare[];
  /** How directory shares are carried when the driver offers a choice (QEMU: 9p or virtio-fs). */
  shareKind?: ShareKind;
  /** Default "mapped". */
  shareOwnership?: ShareOwnership;
  /**
   * Whether shares can be added while it runs (HotShareable: a pod's VM). Its two propagation roots
   * are host mounts that only runm's teardown or the shim's `delete` remove (a SIGKILLed
   * `runm vm run` could not), so only VMs that may take shares get them.
   */
  hotShares?: boolean;
  ports: VmPortForward[];
  /**
   * The VM's network: QEMU's user-mode network by default (only `ports` reach it); "pod": the
   * named network namespace CNI wired for a pod (lib/vm/qemu/pod-network.ts), whose interface the
   * guest takes over. A namespace with no CNI interface leaves the user-mode network.
   */
  podNetns?: string;
  /**
   * The host cgroup (a cgroupfs path: lib/sys/host-cgroup.ts) the VMM runs in: the spec's
   * cgroupsPath, where runc would have put the container. Linux only; none: the caller's.
   */
  hostCgroup?: string;
  /** A pod-shape template being built: `podNetns` is a scratch namespace, its tap has nothing behind. */
  bareTap?: boolean;
  /** "file": console only to console.log; "terminal": also on this process's stdio (runm vm shell). */
  console: "file" | "terminal";
  /** Milliseconds start() waits for readiness before failing. */
  bootTimeoutMs?: number;
}

/** What start() waits for. */
export type ReadyCheck =
  | { kind: "console"; marker: string }
  | { kind: "agent"; handshake: (vm: Vm, signal: AbortSignal) => Promise<void> }
  | { kind: "none" };

export interface Vm {
  readonly id: string;
  readonly config: VmConfig;
  /** Directory holding this VM's sockets, pidfiles and console log. */
  readonly runtimeDir: string;
  readonly consolePath: string;
  /** Host unix socket that carries the agent's byte stream (AgentClient connects here). */
  readonly agentSocket: string;
  /** Host path of the stdio channel's bulk ring (lib/stdio-ring-file.ts), if the VM has one. */
  readonly stdioRing?: string;
  start(ready: ReadyCheck): Promise<BootTimeline>;
  openAgentStream(): Promise<Duplex>;
  /** What the guest mounts so that each share appears at guestSharePath(). */
  shareMounts(): GuestShareMount[];
  /** Last n lines of the guest console (for errors). */
  consoleTail(n?: number): string[];
  /** Resolves with the VMM's exit code (null if killed by a signal) once it has exited. */
  exited(): Promise<number | null>;
  /** Once started: the pod network (config.podNetns) the guest's eth0 must take over, if wired. */
  guestNetwork(): GuestNetwork | undefined;
  shutdown(): Promise<void>;
}

export interface VmDriver {
  readonly name: "qemu" | "vfkit";
  /** Whether its VMs are Snapshottable and can start from a template (VmBoot "restore"). */
  readonly snapshots: boolean;
  /** What a template made by this driver depends on (VMM binary, accelerator): part of its key. */
  identity(): string;
  configure(config: VmConfig): Vm;
}

// ---- optional abilities, checked at runtime -------------------------------------------------

/** A VM whose host processes can be listed (tests use it to prove nothing leaks). */
export interface HasHostPids {
  hostPids(): number[];
}
export const hasHostPids = (vm: Vm): vm is Vm & HasHostPids =>
  typeof (vm as Partial<HasHostPids>).hostPids === "function";

/** A VM whose running state can be saved, to restore copies of it (VmBoot "template"). */
export interface Snapshottable {
  /**
   * Once no host session to its agent remains (a clone must start with none), pause the guest and
   * write its device state to `stateFile`; the VM stays paused.
   */
  snapshot(stateFile: string): Promise<void>;
}
export const isSnapshottable = (vm: Vm): vm is Vm & Snapshottable =>
  typeof (vm as Partial<Snapshottable>).snapshot === "function";

/**
 * A VM that takes shares while it runs (a pod's later containers): each appears in the guest at
 * guestSharePath({ ..., hot: true }) through the share devices it already has.
 */
export interface HotShareable {
  addShare(share: VmShare): void;
  removeShare(name: string): void;
}
export const isHotShareable = (vm: Vm): vm is Vm & HotShareable =>
  typeof (vm as Partial<HotShareable>).addShare === "function";

/** A VM that can be frozen and thawed as a whole. */
export interface Pausable {
  pause(): Promise<void>;
  resume(): Promise<void>;
}
export const isPausable = (vm: Vm): vm is Vm & Pausable =>
  typeof (vm as Partial<Pausable>).pause === "function" &&
  typeof (vm as Partial<Pausable>).resume === "function";
