// The sandbox: one VM, its agent, and the shares its containers need. The one path by which
// `runm vm run` and the shim get a guest: restored from the template of its shape when the shape
// allows one (start "auto"), booted otherwise or on request (start "cold"), and made its own
// (boot.ts: clock, entropy, id) before its shares are mounted. A restore that fails falls back to
// a cold boot, and says why once. State is keyed by the sandbox id, so a pod (several containers
// in one VM) fits the same shape.

import { writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { AgentClient } from "../agent-client/index.ts";
import { type GuestRuntime, hostGuestArch } from "../constants.ts";
import { failedPrecondition, messageOf, notImplemented } from "../errors.ts";
import { type GuestManifest, readGuestManifest } from "../guest-manifest.ts";
import { logger } from "../log.ts";
import { HostCgroup } from "../sys/host-cgroup.ts";
import { pidAlive, withDescendants } from "../sys/proc.ts";
import { DEFAULT_VM_CPUS, DEFAULT_VM_MEMORY_MIB } from "../vm/defaults.ts";
import { hostDriver } from "../vm/select-driver.ts";
import type { BootTimeline } from "../vm/timeline.ts";
import {
  hasHostPids,
  isHotShareable,
  type ShareKind,
  type Vm,
  type VmBoot,
  type VmDriver,
  type VmPortForward,
  type VmShare,
} from "../vm/vm-interface.ts";
import { startAgentVm } from "./boot.ts";
import { forwardToHost, type HostForwards, type SocketBind } from "./host-forwards.ts";
import type { GuestMount } from "./mounts.ts";
import { ensureTemplate } from "./template.ts";

const log = logger("sandbox");

export interface SandboxConfig {
  id: string;
  manifest: GuestManifest;
  cpus: number;
  memoryMiB: number;
  shares: VmShare[];
  shareKind: ShareKind;
  ports: VmPortForward[];
  hostLoopbackPorts: number[];
  /** Host unix sockets bound into the container (lib/sandbox/mounts.ts plans them). */
  socketBinds: SocketBind[];
  guestLogLevel: string;
  bootTimeoutMs?: number;
  /** "auto": from the shape's template when it allows one; "cold": always boot. */
  start: "auto" | "cold";
  /** The OCI runtime in the guest (default runc). */
  runtime?: GuestRuntime;
  /** Extra kernel command line words (tests break boots with them; implies a cold boot). */
  extraCmdline?: string[];
  driver?: VmDriver;
  /** Called with the VM once configured (tests look at its runtime dir and PIDs). */
  onVm?: (vm: Vm) => void;
  /** Where templates live (tests). */
  templateRoot?: string;
  /** Shares can be added while it runs (addShares): the shim's VMs, which may become pods. */
  hotShares?: boolean;
  /** A pod's network namespace, wired by CNI, whose interface the guest takes over (VmConfig). */
  podNetns?: string;
  /** The host cgroup the VMM runs in (VmConfig). */
  hostCgroup?: string;
}

/**
 * The default shape on this host (its arch's built guest, default size, 9p, no ports, from a
 * template when it can), with `extra` on top: what `runm vm run` starts without flags.
 */
export function defaultSandboxConfig(
  id: string,
  shares: VmShare[],
  extra: Partial<SandboxConfig> = {},
): SandboxConfig {
  return {
    id,
    // Read only when not given: another arch's guest needs no host-arch image built.
    manifest: extra.manifest ?? readGuestManifest(hostGuestArch()),
    cpus: DEFAULT_VM_CPUS,
    memoryMiB: DEFAULT_VM_MEMORY_MIB,
    shares,
    shareKind: "9p",
    ports: [],
    hostLoopbackPorts: [],
    socketBinds: [],
    guestLogLevel: "info",
    start: "auto",
    ...extra,
  };
}

/** Why this sandbox cannot start from a template, or undefined if it can. */
export function coldReason(c: SandboxConfig, driver: VmDriver): string | undefined {
  if (c.start === "cold") return "a cold boot was asked for";
  if (!driver.snapshots) return `the ${driver.name} driver has no snapshots`;
  if (c.shareKind !== "9p") return "virtio-fs cannot be snapshotted by QEMU 7.2";
  if (c.extraCmdline?.length) return "extra kernel command line words";
  return undefined;
}

let warnedTemplateFailure = false;

export class Sandbox {
  private hostForwards: HostForwards | undefined;
  /** A pod's later containers' host unix sockets, by container. */
  private readonly joinedForwards = new Map<string, HostForwards>();
  /** The host cgroup the running VMM was moved into (adoptHostCgroup), removed after it stops. */
  private adopted: HostCgroup | undefined;

  private constructor(
    readonly id: string,
    readonly vm: Vm,
    readonly agent: AgentClient,
    readonly timeline: BootTimeline,
    /** True when restored from a template. */
    readonly restored: boolean,
  ) {}

  /** A running guest with its agent set up and the shares mounted; on failure nothing is left. */
  static async start(c: SandboxConfig): Promise<Sandbox> {
    const driver = c.driver ?? (await hostDriver(process.platform, c.manifest.arch));
    const why = coldReason(c, driver);
    if (why) {
      log.debug(`sandbox ${c.id}: cold boot (${why})`);
      return Sandbox.boot(c, driver, { kind: "cold" });
    }
    let boot: VmBoot = { kind: "cold" };
    try {
      const t = await ensureTemplate({
        manifest: c.manifest,
        driver,
        cpus: c.cpus,
        memoryMiB: c.memoryMiB,
        bootTimeoutMs: c.bootTimeoutMs,
        root: c.templateRoot,
        // A CNI pod's VM has a tap NIC, not the user-mode one: a template shape of its own.
        podNetwork: c.podNetns !== undefined,
      });
      boot = { kind: "restore", memoryFile: t.memoryFile, stateFile: t.stateFile };
    } catch (e) {
      // Logged once per process: every later sandbox would only repeat it.
      if (!warnedTemplateFailure) log.warn(`no VM template (${messageOf(e)}): booting cold`);
      warnedTemplateFailure = true;
    }
    if (boot.kind === "cold") return Sandbox.boot(c, driver, boot);
    try {
      return await Sandbox.boot(c, driver, boot);
    } catch (e) {
      log.warn(`sandbox ${c.id}: restoring from the template failed (${messageOf(e)}); booting cold`);
      return Sandbox.boot(c, driver, { kind: "cold" });
    }
  }

  private static async boot(c: SandboxConfig, driver: VmDriver, boot: VmBoot): Promise<Sandbox> {
    const m = c.manifest;
    const { vm, agent, timeline } = await startAgentVm(
      driver,
      {
        id: c.id,
        arch: m.arch,
        kernel: m.kernel.path,
        initrd: m.initramfs.path,
        mbinDisk: m.squashfs.path,
        mode: "agent",
        guestLogLevel: c.guestLogLevel,
        extraCmdline: c.extraCmdline,
        cpus: c.cpus,
        memoryMiB: c.memoryMiB,
        boot,
        shares: c.shares,
        shareKind: c.shareKind,
        hotShares: c.hotShares,
        ports: c.ports,
        podNetns: c.podNetns,
        hostCgroup: c.hostCgroup,
        console: "file",
        bootTimeoutMs: c.bootTimeoutMs,
      },
      { onVm: c.onVm, runtime: c.runtime },
    );
    const sandbox = new Sandbox(c.id, vm, agent, timeline, boot.kind === "restore");
    try {
      const net = vm.guestNetwork();
      if (net) await agent.configureNetwork(net);
      for (const s of vm.shareMounts()) await agent.mountShare(s);
      if (c.hostLoopbackPorts.length || c.socketBinds.length)
        sandbox.hostForwards = await forwardToHost(agent, c.hostLoopbackPorts, c.socketBinds);
      log.debug(`sandbox ${c.id} ready (${boot.kind}): ${JSON.stringify(timeline)}`);
      return sandbox;
    } catch (e) {
      await sandbox.shutdown();
      throw e;
    }
  }

  /** Assemble a container's root filesystem in the guest (tmpfs uppers, overlays), in order. */
  async mount(steps: GuestMount[]): Promise<void> {
    for (const s of steps) {
      if (s.kind === "tmpfs") {
        await this.agent.mountShare({ fstype: "tmpfs", tag: "", target: s.target, readOnly: false });
        continue;
      }
      const data = s.upper
        ? `lowerdir=${s.lower.join(":")},upperdir=${s.upper},workdir=${s.work}`
        : `lowerdir=${s.lower.join(":")}`;
      // The agent's MountShare carries the overlay's mount data in `tag` (fstype "overlay").
      await this.agent
        .mountShare({ fstype: "overlay", tag: data, target: s.target, readOnly: false })
        .catch((e) => {
          throw failedPrecondition(`the guest could not assemble the overlay rootfs: ${messageOf(e)}`, {
            hint: "try the native snapshotter (ctr run --snapshotter native)",
            cause: e,
          });
        });
    }
  }

  /**
   * Show more shares to the running VM (a pod's later container: its layers and volumes); each
   * appears at guestSharePath({ ..., hot: true }). All or none: a failure takes back those added.
   */
  addShares(shares: VmShare[]): void {
    const vm = this.vm;
    if (!isHotShareable(vm))
      throw notImplemented(`the ${vm.config.id} VM's driver cannot add shares while it runs`, {
        hint: "run each container in its own VM (no sandbox grouping) on this host",
      });
    const done: string[] = [];
    try {
      for (const s of shares) {
        vm.addShare(s);
        done.push(s.name);
      }
    } catch (e) {
      for (const name of done) vm.removeShare(name);
      throw e;
    }
  }

  /**
   * Forward a later container's host unix sockets (lib/sandbox/mounts.ts numbers their guest
   * sockets across the pod); resolves once the guest listens on each.
   */
  async forwardSockets(owner: string, sockets: SocketBind[]): Promise<void> {
    if (sockets.length === 0) return;
    this.joinedForwards.set(owner, await forwardToHost(this.agent, [], sockets));
  }

  /** Stop forwarding `owner`'s sockets: the guest closes and removes them. */
  stopForwarding(owner: string): void {
    this.joinedForwards.get(owner)?.close();
    this.joinedForwards.delete(owner);
  }

  /** Take shares added with addShares back (their container was deleted). */
  removeShares(names: string[]): void {
    const vm = this.vm;
    if (!isHotShareable(vm)) return;
    for (const name of names) vm.removeShare(name);
  }

  hostPids(): number[] {
    return hasHostPids(this.vm) ? this.vm.hostPids() : [];
  }

  /** True once the VMM has exited (polled up to `timeoutMs`): the guest and everything in it is gone. */
  async vmGone(timeoutMs: number): Promise<boolean> {
    const exited = this.vm.exited().then(() => true);
    const late = Bun.sleep(timeoutMs).then(() => !this.hostPids().some(pidAlive));
    return Promise.race([exited, late]);
  }

  /**
   * Move the running VMM's host processes into a cgroup: a VM started before its container named
   * one (a spare shim's) ends where a VM started for that container is born (VmConfig.hostCgroup).
   */
  adoptHostCgroup(path: string): void {
    const cgroup = HostCgroup.create(path);
    this.adopted = cgroup;
    // The jail's children too (QEMU, virtiofsd), each written: a move takes one process.
    const pids = withDescendants(this.hostPids());
    for (const file of cgroup.procsFiles()) for (const pid of pids) writeFileSync(file, String(pid));
  }

  /** The host cgroup the VMM runs in, if any. */
  get hostCgroup(): string | undefined {
    return this.adopted?.path ?? this.vm.config.hostCgroup;
  }

  /** The pod network namespace the VM was started in, if any. */
  get podNetns(): string | undefined {
    return this.vm.config.podNetns;
  }

  get socketDir(): string {
    return dirname(this.vm.agentSocket);
  }

  async shutdown(): Promise<void> {
    this.hostForwards?.close();
    for (const f of this.joinedForwards.values()) f.close();
    this.joinedForwards.clear();
    this.agent.close();
    await this.vm.shutdown();
    this.adopted?.remove();
    this.adopted = undefined;
  }
}
