// What every VM driver's Vm shares: the runtime dir, the start-once and shutdown-once guards, the
// cleanup-registry entry, the agent socket connection and stopping the host processes in order.
// A driver (QemuVm, VfkitVm) supplies only how it launches (boot) and which processes it owns.
import { existsSync } from "node:fs";
import { createConnection } from "node:net";
import type { Duplex } from "node:stream";
import type { Subprocess } from "bun";
import { registerCleanup } from "../cleanup.ts";
import { failedPrecondition, unavailable } from "../errors.ts";
import type { GuestNetwork } from "../net/guest-network.ts";
import { tailLines } from "./console-log.ts";
import { createRuntimeDir, type RuntimeDir } from "./runtime-dir.ts";
import { BootTimeline } from "./timeline.ts";
import type { GuestShareMount, HasHostPids, ReadyCheck, Vm, VmConfig } from "./vm-interface.ts";

export abstract class ManagedVm implements Vm, HasHostPids {
  readonly id: string;
  readonly runtimeDir: string;
  readonly consolePath: string;
  readonly agentSocket: string;
  protected readonly rt: RuntimeDir;
  private unregister: (() => void) | undefined;
  private shutdownOnce: Promise<void> | undefined;
  private startedOnce = false;

  constructor(readonly config: VmConfig) {
    this.id = config.id;
    this.rt = createRuntimeDir(config.id);
    this.runtimeDir = this.rt.dir;
    this.consolePath = this.rt.consoleLog;
    this.agentSocket = this.rt.agentSocket;
    // Registered from configure on: even a VM that never starts has a dir to remove.
    this.unregister = registerCleanup({
      name: `vm ${this.id}`,
      run: () => this.shutdown(),
      runSync: () => this.shutdownSync(),
    });
  }

  /** The VMM process, once launched. */
  protected abstract vmm(): Subprocess | undefined;

  /** The VMM's helpers (virtiofsd, gvproxy): stopped after it. */
  protected abstract helpers(): Subprocess[];

  /** How long shutdown lets each process exit on SIGTERM before SIGKILL. */
  protected abstract readonly stopGraceMs: number;

  abstract shareMounts(): GuestShareMount[];

  /** Launch the VMM and wait until `ready` passes, marking the timeline (not "ready"). */
  protected abstract boot(ready: ReadyCheck, tl: BootTimeline): Promise<void>;

  guestNetwork(): GuestNetwork | undefined {
    return undefined;
  }

  /**
   * Undo what the VM set up on the host besides its processes and runtime dir (a pod network's
   * tap), once they are stopped. Synchronous: the exit path runs it too.
   */
  protected releaseHost(): void {}

  /** Every host process, in the order shutdown stops them: the VM first, then what serves it. */
  private processes(): Subprocess[] {
    return [this.vmm(), ...this.helpers()].filter((p): p is Subprocess => p !== undefined);
  }

  exited(): Promise<number | null> {
    const p = this.vmm();
    return p ? p.exited.then(() => p.exitCode) : Promise.resolve(null);
  }

  async start(ready: ReadyCheck): Promise<BootTimeline> {
    if (this.startedOnce) throw failedPrecondition(`VM ${this.id} was already started`);
    if (this.shutdownOnce) throw failedPrecondition(`VM ${this.id} was shut down`);
    this.startedOnce = true;
    const tl = new BootTimeline();
    await this.boot(ready, tl);
    tl.mark("ready");
    return tl;
  }

  hostPids(): number[] {
    return this.processes()
      .filter((p) => p.exitCode === null && !p.killed)
      .map((p) => p.pid);
  }

  consoleTail(n = 20): string[] {
    return tailLines(this.consolePath, n);
  }

  /** Connect to the agent socket, which the VMM creates early in its start (the handshake races it). */
  async openAgentStream(): Promise<Duplex> {
    if (!this.startedOnce) throw failedPrecondition(`VM ${this.id} is not started`);
    for (let i = 0; !existsSync(this.agentSocket); i++) {
      const vmm = this.vmm();
      if (!vmm || vmm.exitCode !== null || i > 1000) throw unavailable(`VM ${this.id} has no agent socket`);
      await Bun.sleep(5);
    }
    const sock = createConnection(this.agentSocket);
    await new Promise<void>((resolve, reject) => {
      sock.once("connect", resolve);
      sock.once("error", (e) =>
        reject(unavailable(`cannot connect to the agent of VM ${this.id}`, { cause: e })),
      );
    });
    return sock;
  }

  shutdown(): Promise<void> {
    this.shutdownOnce ??= (async () => {
      // Through Bun's handles: a child Bun has reaped is never signalled again (its pid may
      // belong to another process by then).
      const procs = this.processes();
      for (const p of procs) {
        if (p.exitCode !== null || p.signalCode !== null) continue;
        if (this.stopGraceMs > 0) {
          p.kill("SIGTERM");
          await Promise.race([p.exited, Bun.sleep(this.stopGraceMs)]);
        }
        p.kill("SIGKILL");
      }
      await Promise.all(procs.map((p) => p.exited));
      this.releaseHost();
      this.rt.remove();
      this.unregister?.();
      this.unregister = undefined;
    })();
    return this.shutdownOnce;
  }

  /**
   * At process exit, when nothing async runs any more: SIGKILL every process (the jail's unshare
   * takes its VMM with it; vfkit's watchdog takes its helper).
   */
  private shutdownSync(): void {
    for (const p of this.processes()) if (p.exitCode === null && p.signalCode === null) p.kill("SIGKILL");
    this.releaseHost();
    this.rt.remove();
  }
}
