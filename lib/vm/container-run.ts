// `runm vm run`: boot a VM in agent mode, share the rootfs and volumes, run one OCI container
// through the guest agent with stdio streamed, return its exit code, tear everything down.
import { randomBytes } from "node:crypto";
import { existsSync, statSync } from "node:fs";
import type { Writable } from "node:stream";
import { AgentClient } from "../agent-client/index.ts";
import { hostGuestArch } from "../constants.ts";
import { invalidArgument, messageOf, RunmError, unavailable } from "../errors.ts";
import { readGuestManifest } from "../guest-manifest.ts";
import { logger, logLevelName } from "../log.ts";
import type { PortSpec, VolumeSpec } from "../oci/run-flags.ts";
import { generateSpec } from "../oci/spec.ts";
import { DEFAULT_VM_CPUS } from "./defaults.ts";
import { hostDriver } from "./select-driver.ts";
import { hostTerminal } from "./terminal.ts";
import type { BootTimeline } from "./timeline.ts";
import type { ShareKind, Vm, VmDriver } from "./vm-interface.ts";

const log = logger("vm");

/** Where the agent mounts the shares inside the guest. */
export const GUEST_ROOTFS = "/run/runm/rootfs";
export const guestVolume = (i: number) => `/run/runm/volumes/${i}`;
const CONTAINER_ID = "main";

export interface ContainerRunOptions {
  rootfs: string;
  args: string[];
  env?: string[];
  cwd?: string;
  user?: { uid: number; gid: number };
  tty?: boolean;
  interactive?: boolean;
  volumes?: VolumeSpec[];
  ports?: PortSpec[];
  cpus?: number;
  memoryMiB?: number;
  /** The container's cgroup memory limit. */
  memoryLimitMiB?: number;
  shareKind?: ShareKind;
  id?: string;
  guestLogLevel?: string;
  bootTimeoutMs?: number;
  /** Extra kernel cmdline words (tests break the boot with them). */
  extraCmdline?: string[];
  driver?: VmDriver;
  io?: { stdin: NodeJS.ReadStream; stdout: Writable; stderr: Writable };
  /** Called with the VM once configured (tests look at its runtime dir and PIDs). */
  onVm?: (vm: Vm) => void;
}

export interface ContainerRunResult {
  exitCode: number;
  timeline: BootTimeline;
}

function checkDir(path: string, what: string): void {
  if (!existsSync(path) || !statSync(path).isDirectory()) {
    throw invalidArgument(`${what} ${path} is not a directory`, { hint: "give an existing directory" });
  }
}

/**
 * Wait for the agent's Hello. The client is created only once the VMM has made the socket: a
 * gRPC channel that first meets ENOENT backs off for seconds before it tries again.
 */
async function agentHandshake(vm: Vm, signal: AbortSignal): Promise<AgentClient | undefined> {
  while (!existsSync(vm.agentSocket)) {
    if (signal.aborted) return undefined;
    await Bun.sleep(5);
  }
  const client = new AgentClient(vm.agentSocket);
  while (!signal.aborted) {
    try {
      // One long attempt: under TCG the first RPC after the agent starts serving takes ~2 s, and
      // cancelling and retrying it only adds work for the guest.
      await client.hello(10_000);
      return client;
    } catch (e) {
      log.debug(`agent not ready yet: ${messageOf(e)}`);
      await Bun.sleep(20);
    }
  }
  client.close();
  return undefined;
}

/** Copy a chunk stream to a host stream; resolves at end of stream. */
async function pump(src: AsyncIterable<Uint8Array>, dst: Writable, onFirst: () => void): Promise<void> {
  for await (const chunk of src) {
    onFirst();
    if (!dst.write(chunk)) await new Promise((r) => dst.once("drain", r));
  }
}

export async function runContainer(opts: ContainerRunOptions): Promise<ContainerRunResult> {
  checkDir(opts.rootfs, "rootfs");
  for (const v of opts.volumes ?? []) checkDir(v.source, "volume source");
  const io = opts.io ?? { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };
  const manifest = readGuestManifest(hostGuestArch());
  const driver = opts.driver ?? (await hostDriver());
  const volumes = opts.volumes ?? [];
  const vm = driver.configure({
    id: opts.id ?? `run-${randomBytes(4).toString("hex")}`,
    arch: manifest.arch,
    kernel: manifest.kernel.path,
    initrd: manifest.initramfs.path,
    mbinDisk: manifest.squashfs.path,
    mode: "agent",
    // The guest agent logs as much as runm does (--debug shows both sides).
    guestLogLevel: opts.guestLogLevel ?? (logLevelName() === "debug" ? "debug" : "info"),
    extraCmdline: opts.extraCmdline,
    cpus: opts.cpus ?? DEFAULT_VM_CPUS,
    memoryMiB: opts.memoryMiB ?? 512,
    shares: [
      { tag: "rootfs", hostPath: opts.rootfs, readOnly: false },
      ...volumes.map((v, i) => ({ tag: `vol${i}`, hostPath: v.source, readOnly: v.readOnly })),
    ],
    shareKind: opts.shareKind ?? "9p",
    ports: (opts.ports ?? []).map((p) => ({ hostPort: p.host, guestPort: p.guest })),
    console: "file",
    bootTimeoutMs: opts.bootTimeoutMs,
  });
  opts.onVm?.(vm);
  let client: AgentClient | undefined;
  let restoreTerminal: (() => void) | undefined;
  try {
    const tl = await vm.start({
      kind: "agent",
      handshake: async (_vm, signal) => {
        client = await agentHandshake(vm, signal);
      },
    });
    if (!client) throw unavailable(`the agent of VM ${vm.id} did not answer`);
    const agent: AgentClient = client;
    const fstype = vm.config.shareKind ?? "9p";
    await client.mountShare({ fstype, tag: "rootfs", target: GUEST_ROOTFS, readOnly: false });
    for (const [i, v] of volumes.entries()) {
      await client.mountShare({ fstype, tag: `vol${i}`, target: guestVolume(i), readOnly: v.readOnly });
    }
    const tty = opts.tty ?? false;
    const spec = generateSpec({
      args: opts.args,
      rootfs: GUEST_ROOTFS,
      env: opts.env,
      cwd: opts.cwd,
      uid: opts.user?.uid,
      gid: opts.user?.gid,
      terminal: tty,
      memoryLimitMiB: opts.memoryLimitMiB,
      binds: volumes.map((v, i) => ({
        source: guestVolume(i),
        destination: v.destination,
        readOnly: v.readOnly,
      })),
    });
    const proc = { containerId: CONTAINER_ID };
    await client.create(CONTAINER_ID, spec, {
      rootfs: GUEST_ROOTFS,
      stdio: { terminal: tty, stdin: opts.interactive ?? false },
    });
    tl.mark("created");
    const first = () => tl.mark("firstOutput");
    const outputs = [pump(client.output(proc, "stdout"), io.stdout, first)];
    if (!tty) outputs.push(pump(client.output(proc, "stderr"), io.stderr, first));
    if (tty) {
      restoreTerminal = hostTerminal(io.stdin, io.stdout as NodeJS.WriteStream).attach((s) => {
        agent.resizePty(proc, s.columns, s.rows).catch((e) => log.debug(`resize: ${messageOf(e)}`));
      });
    }
    await client.start(proc);
    tl.mark("started");
    if (opts.interactive) {
      // Not awaited: a container may exit before its stdin ends.
      client
        .writeStdin(proc, io.stdin as AsyncIterable<Uint8Array>)
        .then(() => agent.closeStdin(proc))
        .catch((e) => log.debug(`stdin: ${messageOf(e)}`));
    }
    const { exitStatus } = await client.wait(proc);
    tl.mark("exit");
    // The output streams end when the pipes close; do not hang on a stuck one.
    const drained = await Promise.race([
      Promise.all(outputs).then(() => true),
      Bun.sleep(3000).then(() => false),
    ]);
    if (!drained) log.warn("container output did not end within 3 s of its exit");
    await client.delete(proc).catch((e) => log.debug(`delete: ${messageOf(e)}`));
    return { exitCode: exitStatus, timeline: tl };
  } catch (e) {
    // Quote the guest console under any failure that does not already carry its own lines.
    if (e instanceof RunmError && e.details.length) throw e;
    throw new RunmError(e instanceof RunmError ? e.kind : "Unavailable", messageOf(e), {
      cause: e,
      hint: e instanceof RunmError ? e.hint : undefined,
      details: vm.consoleTail(12),
    });
  } finally {
    restoreTerminal?.();
    client?.close();
    await vm.shutdown();
  }
}
