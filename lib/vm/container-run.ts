// `runm vm run`: one OCI container in one sandbox (lib/sandbox), with stdio streamed, its exit
// code returned and everything torn down. The rootfs and volumes become shares through the same
// planner as the shim's (lib/sandbox/mounts.ts).
import { randomBytes } from "node:crypto";
import { existsSync, statSync } from "node:fs";
import type { Writable } from "node:stream";
import type { GuestArch, GuestRuntime } from "../constants.ts";
import { invalidArgument, messageOf, RunmError } from "../errors.ts";
import { readGuestManifest } from "../guest-manifest.ts";
import { logger, logLevelName } from "../log.ts";
import type { PortSpec, VolumeSpec } from "../oci/run-flags.ts";
import { generateSpec } from "../oci/spec.ts";
import { planMounts } from "../sandbox/mounts.ts";
import { defaultSandboxConfig, Sandbox } from "../sandbox/sandbox.ts";
import { hostTerminal } from "./terminal.ts";
import type { BootTimeline } from "./timeline.ts";
import type { ShareKind, Vm, VmDriver } from "./vm-interface.ts";

const log = logger("vm");
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
  /** Boot instead of restoring from a template. */
  cold?: boolean;
  /** The OCI runtime in the guest (default runc). */
  runtime?: GuestRuntime;
  /** The guest's arch (default: the host's); a foreign one is emulated. */
  arch?: GuestArch;
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
  /** Whether the VM was restored from a template. */
  restored: boolean;
}

function checkDir(path: string, what: string): void {
  if (!existsSync(path) || !statSync(path).isDirectory()) {
    throw invalidArgument(`${what} ${path} is not a directory`, { hint: "give an existing directory" });
  }
}

/**
 * What runm exits with once its output's reader is gone: what a shell reports for a process killed
 * by SIGPIPE (128 + 13), which is what runm would be if Bun did not ignore that signal.
 */
const READER_GONE_EXIT = 141;

/**
 * Copy a chunk stream to a host stream. Resolves "end" at the end of the stream, or "closed" once
 * the host stream fails (its reader is gone: `runm vm run ... | head -1`); leaving the loop then
 * resets the guest's stream.
 */
async function pump(
  src: AsyncIterable<Uint8Array>,
  dst: Writable,
  onFirst: () => void,
): Promise<"end" | "closed"> {
  const failed = Promise.withResolvers<"closed">();
  const onError = (e: Error) => {
    log.debug(`output: ${messageOf(e)}`);
    failed.resolve("closed");
  };
  dst.on("error", onError);
  try {
    for await (const chunk of src) {
      onFirst();
      if (dst.destroyed || dst.errored) return "closed";
      if (dst.write(chunk)) continue;
      const drained = new Promise<"drain">((r) => dst.once("drain", () => r("drain")));
      if ((await Promise.race([drained, failed.promise])) === "closed") return "closed";
    }
    return dst.errored ? "closed" : "end";
  } finally {
    dst.off("error", onError);
  }
}

export async function runContainer(opts: ContainerRunOptions): Promise<ContainerRunResult> {
  checkDir(opts.rootfs, "rootfs");
  for (const v of opts.volumes ?? [])
    if (!existsSync(v.source))
      throw invalidArgument(`volume source ${v.source} does not exist`, {
        hint: "give an existing directory or file",
      });
  const io = opts.io ?? { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };
  const id = opts.id ?? `run-${randomBytes(4).toString("hex")}`;
  const tty = opts.tty ?? false;
  const plan = planMounts(CONTAINER_ID, "/", [{ type: "bind", source: opts.rootfs, options: ["rw"] }], {
    mounts: (opts.volumes ?? []).map((v) => ({
      destination: v.destination,
      type: "bind",
      source: v.source,
      options: ["rbind", v.readOnly ? "ro" : "rw"],
    })),
  });
  const defaults = defaultSandboxConfig(
    id,
    plan.shares,
    opts.arch ? { manifest: readGuestManifest(opts.arch) } : {},
  );
  const sandbox = await Sandbox.start({
    ...defaults,
    // The guest agent logs as much as runm does (--debug shows both sides).
    guestLogLevel: opts.guestLogLevel ?? (logLevelName() === "debug" ? "debug" : "info"),
    extraCmdline: opts.extraCmdline,
    cpus: opts.cpus ?? defaults.cpus,
    memoryMiB: opts.memoryMiB ?? defaults.memoryMiB,
    shareKind: opts.shareKind ?? defaults.shareKind,
    ports: (opts.ports ?? []).map((p) => ({ hostPort: p.host, guestPort: p.guest })),
    socketBinds: plan.sockets,
    start: opts.cold ? "cold" : "auto",
    runtime: opts.runtime,
    bootTimeoutMs: opts.bootTimeoutMs,
    driver: opts.driver,
    onVm: opts.onVm,
  });
  const { agent, timeline: tl } = sandbox;
  let restoreTerminal: (() => void) | undefined;
  try {
    await sandbox.mount(plan.guestMounts);
    const spec = generateSpec({
      args: opts.args,
      rootfs: plan.rootfs,
      env: opts.env,
      cwd: opts.cwd,
      uid: opts.user?.uid,
      gid: opts.user?.gid,
      terminal: tty,
      memoryLimitMiB: opts.memoryLimitMiB,
      binds: plan.mounts.map((m) => ({
        source: m.source as string,
        destination: m.destination,
        readOnly: (m.options ?? []).includes("ro"),
      })),
    });
    const proc = { containerId: CONTAINER_ID };
    await agent.create(CONTAINER_ID, spec, {
      rootfs: plan.rootfs,
      stdio: { terminal: tty, stdin: opts.interactive ?? false },
    });
    tl.mark("created");
    const first = () => tl.mark("firstOutput");
    const outputs = [pump(agent.output(proc, "stdout"), io.stdout, first)];
    if (!tty) outputs.push(pump(agent.output(proc, "stderr"), io.stderr, first));
    if (tty) {
      restoreTerminal = hostTerminal(io.stdin, io.stdout as NodeJS.WriteStream).attach((s) => {
        agent.resizePty(proc, s.columns, s.rows).catch((e) => log.debug(`resize: ${messageOf(e)}`));
      });
    }
    await agent.start(proc);
    tl.mark("started");
    if (opts.interactive) {
      // Not awaited: a container may exit before its stdin ends.
      agent
        .writeStdin(proc, io.stdin as AsyncIterable<Uint8Array>)
        .then(() => agent.closeStdin(proc))
        .catch((e) => log.debug(`stdin: ${messageOf(e)}`));
    }
    // Whoever reads our output left (`| head`): nothing would read the container's output again,
    // so it is killed (a SIGPIPE would not do: its init, PID 1 in its namespace, ignores it), and
    // runm exits as if SIGPIPE had killed it.
    let readerGone = false;
    for (const out of outputs)
      void out.then((how) => {
        if (how !== "closed" || readerGone) return;
        readerGone = true;
        agent.kill(proc, 9).catch((e) => log.debug(`kill: ${messageOf(e)}`));
      });
    const { exitStatus } = await agent.wait(proc);
    tl.mark("exit");
    // The output streams end when the pipes close; do not hang on a stuck one.
    const drained = await Promise.race([
      Promise.all(outputs).then(() => true),
      Bun.sleep(3000).then(() => false),
    ]);
    if (!drained) log.warn("container output did not end within 3 s of its exit");
    await agent.delete(proc).catch((e) => log.debug(`delete: ${messageOf(e)}`));
    return { exitCode: readerGone ? READER_GONE_EXIT : exitStatus, timeline: tl, restored: sandbox.restored };
  } catch (e) {
    // Quote the guest console under any failure that does not already carry its own lines.
    if (e instanceof RunmError && e.details.length) throw e;
    throw new RunmError(e instanceof RunmError ? e.kind : "Unavailable", messageOf(e), {
      cause: e,
      hint: e instanceof RunmError ? e.hint : undefined,
      details: sandbox.vm.consoleTail(12),
    });
  } finally {
    restoreTerminal?.();
    await sandbox.shutdown();
  }
}
