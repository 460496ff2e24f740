// The sandbox owner: one VM per sandbox (today one container), booted through lib/vm with the
// container's shares, and the agent client that drives runc inside it. State is keyed by the
// sandbox id, so a pod (several containers in one VM) can be added without reshaping this.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname } from "node:path";
import { AgentClient } from "../lib/agent-client/index.ts";
import { hostGuestArch } from "../lib/constants.ts";
import { failedPrecondition, messageOf } from "../lib/errors.ts";
import { type GuestManifest, readGuestManifest } from "../lib/guest-manifest.ts";
import { logger } from "../lib/log.ts";
import { pidAlive } from "../lib/vm/guarded-spawn.ts";
import { hostDriver } from "../lib/vm/select-driver.ts";
import { hasHostPids, type Vm, type VmShare } from "../lib/vm/vm-interface.ts";
import type { GuestMount } from "./mounts.ts";
import type { ShimOptions } from "./options.ts";

const log = logger("shim");

/** A VM id for a containerd (namespace, id): readable when it fits, hashed when it does not. */
export function sandboxId(namespace: string, id: string): string {
  const plain = `${namespace}-${id}`;
  if (/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(plain)) return plain;
  return `c-${createHash("sha256").update(plain).digest("hex").slice(0, 24)}`;
}

function loadManifest(path?: string): GuestManifest {
  if (!path) return readGuestManifest(hostGuestArch());
  try {
    return JSON.parse(readFileSync(path, "utf8")) as GuestManifest;
  } catch (e) {
    throw failedPrecondition(`cannot read guest manifest ${path}: ${messageOf(e)}`, {
      hint: "build the guest with: runm build all, or fix guest_manifest in the runtime options",
    });
  }
}

export class Sandbox {
  private constructor(
    readonly id: string,
    readonly vm: Vm,
    readonly agent: AgentClient,
  ) {}

  /** Boot the VM with these shares and wait for its agent; on failure nothing is left running. */
  static async boot(id: string, shares: VmShare[], o: ShimOptions): Promise<Sandbox> {
    const manifest = loadManifest(o.guestManifest);
    const driver = await hostDriver();
    const vm = driver.configure({
      id,
      arch: manifest.arch,
      kernel: manifest.kernel.path,
      initrd: manifest.initramfs.path,
      mbinDisk: manifest.squashfs.path,
      mode: "agent",
      guestLogLevel: process.env.RUNM_LOG_LEVEL === "debug" ? "debug" : "info",
      cpus: o.cpus,
      memoryMiB: o.memoryMiB,
      shares,
      shareKind: o.shareKind,
      ports: o.ports,
      hostLoopbackPorts: o.hostLoopbackPorts,
      console: "file",
      bootTimeoutMs: o.bootTimeoutMs,
    });
    const agent = new AgentClient(vm.agentSocket);
    try {
      const tl = await vm.start({
        kind: "agent",
        handshake: async () => {
          await agent.waitReady(o.bootTimeoutMs);
        },
      });
      await agent.setTime();
      log.debug(`sandbox ${id} ready: ${JSON.stringify(tl)}`);
      return new Sandbox(id, vm, agent);
    } catch (e) {
      agent.close();
      await vm.shutdown();
      throw e;
    }
  }

  /** Mount the shares and assemble the rootfs in the guest, in plan order. */
  async mount(steps: GuestMount[], shareKind: "9p" | "virtiofs"): Promise<void> {
    for (const s of steps) {
      if (s.kind === "share") {
        await this.agent.mountShare({
          fstype: shareKind,
          tag: s.tag,
          target: s.target,
          readOnly: s.readOnly,
        });
      } else if (s.kind === "tmpfs") {
        await this.agent.mountShare({ fstype: "tmpfs", tag: "", target: s.target, readOnly: false });
      } else {
        await this.mountOverlay(s);
      }
    }
  }

  private async mountOverlay(s: Extract<GuestMount, { kind: "overlay" }>): Promise<void> {
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

  hostPids(): number[] {
    return hasHostPids(this.vm) ? this.vm.hostPids() : [];
  }

  /** True once the VMM has exited (polled up to `timeoutMs`): the guest and everything in it is gone. */
  async vmGone(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.hostPids().some(pidAlive)) return true;
      if (Date.now() > deadline) return false;
      await Bun.sleep(100);
    }
  }

  get socketDir(): string {
    return dirname(this.vm.agentSocket);
  }

  async shutdown(): Promise<void> {
    this.agent.close();
    await this.vm.shutdown();
  }
}
