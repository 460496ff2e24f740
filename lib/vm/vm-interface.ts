// The one VM driver interface. QEMU (lib/vm/qemu/) and vfkit (lib/vm/vfkit/) implement it as
// siblings; callers (`runm vm run`, the shim) never ask which one they hold.
//
// Lifecycle of a Vm, in order:
//   1. driver.configure(config)  → Vm        pure: validates, allocates the runtime dir, no process
//   2. vm.start(ready)           → timeline  launches the VMM and waits until `ready` passes;
//                                            throws RunmError (with the console's last lines) if the
//                                            VMM exits, the check fails or the deadline passes
//   3. vm.agentSocket / vm.openAgentStream()  the byte stream to the guest agent (one at a time)
//   4. vm.shutdown()                         stops every process, removes the runtime dir; safe after
//                                            a failed or no start, idempotent, and also run by the
//                                            process-wide cleanup registry on exit and signals
// State is keyed by sandbox id (one VM per sandbox; a sandbox may later hold several containers).
import type { Duplex } from "node:stream";
import type { GuestArch, GuestMode } from "../constants.ts";
import type { BootTimeline } from "./timeline.ts";

/** A host directory shown to the guest under a tag the guest mounts by. */
export interface VmShare {
  /** Mount tag (≤ 31 chars for 9p/virtio-fs), unique within the VM. */
  tag: string;
  hostPath: string;
  readOnly: boolean;
}

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
  shares: VmShare[];
  /** How directory shares are carried when the driver offers a choice (QEMU: 9p or virtio-fs). */
  shareKind?: ShareKind;
  ports: VmPortForward[];
  /**
   * Host loopback ports the guest may reach: GUEST_HOST_LOOPBACK:PORT in the guest lands on the
   * host's 127.0.0.1:PORT. Nothing else outside the VM is reachable.
   */
  hostLoopbackPorts?: number[];
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
  start(ready: ReadyCheck): Promise<BootTimeline>;
  openAgentStream(): Promise<Duplex>;
  /** Last n lines of the guest console (for errors). */
  consoleTail(n?: number): string[];
  /** Resolves with the VMM's exit code (null if killed by a signal) once it has exited. */
  exited(): Promise<number | null>;
  shutdown(): Promise<void>;
}

export interface VmDriver {
  readonly name: "qemu" | "vfkit";
  configure(config: VmConfig): Vm;
}

// ---- optional abilities, checked at runtime -------------------------------------------------

/** A VM whose host processes can be listed (tests use it to prove nothing leaks). */
export interface HasHostPids {
  hostPids(): number[];
}
export const hasHostPids = (vm: Vm): vm is Vm & HasHostPids =>
  typeof (vm as Partial<HasHostPids>).hostPids === "function";

/** A VM that can be frozen and thawed as a whole. */
export interface Pausable {
  pause(): Promise<void>;
  resume(): Promise<void>;
}
export const isPausable = (vm: Vm): vm is Vm & Pausable =>
  typeof (vm as Partial<Pausable>).pause === "function" &&
  typeof (vm as Partial<Pausable>).resume === "function";
