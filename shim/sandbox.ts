// The shim's side of its sandbox: which VM id a containerd (namespace, id) gets, the guest image
// the runtime options name, and the sandbox started through lib/sandbox with them.
import { createHash } from "node:crypto";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { type GuestArch, hostGuestArch } from "../lib/constants.ts";
import { failedPrecondition, messageOf } from "../lib/errors.ts";
import { type GuestManifest, readGuestManifest } from "../lib/guest-manifest.ts";
import { busyboxRootfs, findBusybox } from "../lib/image/busybox-rootfs.ts";
import { writeRootfsDir } from "../lib/image/rootfs-dir.ts";
import type { SocketBind } from "../lib/sandbox/host-forwards.ts";
import { Sandbox } from "../lib/sandbox/sandbox.ts";
import { WARM_SHARE, warmUp } from "../lib/sandbox/warmup.ts";
import { guestSharePath, type VmShare } from "../lib/vm/vm-interface.ts";
import type { ShimOptions } from "./options.ts";

/** A VM id for a containerd (namespace, id): readable when it fits, hashed when it does not. */
export function sandboxId(namespace: string, id: string): string {
  const plain = `${namespace}-${id}`;
  if (/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(plain)) return plain;
  return `c-${createHash("sha256").update(plain).digest("hex").slice(0, 24)}`;
}

function loadManifest(path?: string, arch: GuestArch = hostGuestArch()): GuestManifest {
  if (!path) return readGuestManifest(arch);
  try {
    return JSON.parse(readFileSync(path, "utf8")) as GuestManifest;
  } catch (e) {
    throw failedPrecondition(`cannot read guest manifest ${path}: ${messageOf(e)}`, {
      hint: "build the guest with: runm build all, or fix guest_manifest in the runtime options",
    });
  }
}

/** The guest image the options name, as text: a spare's VM fits only while it is the same build. */
export function manifestText(o: ShimOptions): string {
  return JSON.stringify(loadManifest(o.guestManifest, o.guestArch));
}

/**
 * A spare shim's VM (shim/spare.ts): started with no shares, then warmed by one container
 * lifecycle of a busybox root shown to it as a hot share, as a template is before its snapshot.
 * TCG's translations live only in the QEMU process that made them, so each clone warms itself.
 */
export async function startSpareSandbox(id: string, o: ShimOptions): Promise<Sandbox> {
  const sandbox = await startSandbox(id, { shares: [], sockets: [] }, o);
  const root = join(sandbox.vm.runtimeDir, "spare-warm-root");
  const share = { name: WARM_SHARE, hostPath: root, readOnly: true };
  try {
    await writeRootfsDir(busyboxRootfs(await findBusybox(sandbox.vm.config.arch)), root);
    sandbox.addShares([share]);
    await warmUp(sandbox.agent, [], guestSharePath({ ...share, hot: true }));
    sandbox.removeShares([share.name]);
  } catch (e) {
    await sandbox.shutdown();
    throw e;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return sandbox;
}

export function startSandbox(
  id: string,
  plan: { shares: VmShare[]; sockets: SocketBind[] },
  o: ShimOptions,
  host: { podNetns?: string; cgroup?: string } = {},
): Promise<Sandbox> {
  return Sandbox.start({
    podNetns: host.podNetns,
    hostCgroup: host.cgroup,
    id,
    manifest: loadManifest(o.guestManifest, o.guestArch),
    guestLogLevel: process.env.RUNM_LOG_LEVEL === "debug" ? "debug" : "info",
    cpus: o.cpus,
    memoryMiB: o.memoryMiB,
    shares: plan.shares,
    socketBinds: plan.sockets,
    shareKind: o.shareKind,
    ports: o.ports,
    hostLoopbackPorts: o.hostLoopbackPorts,
    start: o.template ? "auto" : "cold",
    runtime: o.guestRuntime,
    bootTimeoutMs: o.bootTimeoutMs,
    // Any shim VM may become a pod's: later containers join through shares added while it runs.
    hotShares: true,
  });
}
