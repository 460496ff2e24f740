// The agent's API in plain TypeScript: what each RPC does, independent of gRPC. agent/server
// maps the wire messages onto these methods and converts errors to status codes.
import { mkdir, readFile } from "node:fs/promises";
import type { Duplex } from "node:stream";
import { coalesce } from "../lib/coalesce.ts";
import { GUEST_RUNTIMES, type GuestRuntime } from "../lib/constants.ts";
import {
  alreadyExists,
  failedPrecondition,
  invalidArgument,
  messageOf,
  notFound,
  unavailable,
} from "../lib/errors.ts";
import { isLogLevelName, type LogLevelName, logger, setLogLevel } from "../lib/log.ts";
import type { GuestNetwork } from "../lib/net/guest-network.ts";
import { StdioMux } from "../lib/stdio-mux.ts";
import { GuestRingFile } from "../lib/stdio-ring-file.ts";
import { readinessSignals } from "../lib/sys/readiness.ts";
import pkg from "../package.json" with { type: "json" };
import { type CgroupStats, readStats } from "./cgroup.ts";
import { type AgentContext, Container, type ProcessState, type StdioRequest } from "./container.ts";
import type { AgentEvent } from "./events.ts";
import { HostPorts } from "./host-ports.ts";
import { configureNetwork } from "./network.ts";
import type { ExitStatus } from "./process/process.ts";
import { resolveRunc } from "./runc.ts";
import type { OutputName } from "./stdio.ts";
import { addEntropy } from "./sys/entropy.ts";
import { mountFs, setWallClock, unmountFs } from "./sys/mount.ts";

const log = logger("agent");
/** How long a stream request waits for the host's stdio channel to connect. */
const STDIO_WAIT_MS = 10_000;
const cpuUsec = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};
/** The agent ships with the runm it was built from: same version. */
export const AGENT_VERSION: string = pkg.version;
/** mount(2) data per share type; msize 256 KiB makes 9p reads several times faster than 8 KiB. */
const SHARE_MOUNT_DATA: Record<string, string> = {
  "9p": "trans=virtio,version=9p2000.L,msize=262144",
  virtiofs: "",
};

/** The lower dirs named in overlay mount options. */
export function overlayLowers(options: string): string[] {
  const lower = options.split(",").find((o) => o.startsWith("lowerdir="));
  return lower ? lower.slice("lowerdir=".length).split(":") : [];
}

/** The upperdir and workdir named in overlay mount options (to create before mounting). */
export function overlayDirs(options: string): string[] {
  return options
    .split(",")
    .filter((o) => o.startsWith("upperdir=") || o.startsWith("workdir="))
    .map((o) => o.slice(o.indexOf("=") + 1));
}

export interface HelloInfo {
  version: string;
  arch: string;
  uptimeAtStartMs: number;
  uptimeAtReadyMs: number;
  nowUnixMs: number;
  runcVersion: string;
  agentCpuUsec: number;
  readinessSignals: number;
}

export interface BootTimes {
  uptimeAtStartMs: number;
  uptimeAtReadyMs: number;
}

export class AgentService {
  private readonly containers = new Map<string, Container>();
  private readonly creating = new Set<string>();
  private runcVersion: string | undefined;
  private stdio: StdioMux | undefined;
  /** The stdio channel's bulk ring on the writable share (lib/stdio-ring-file.ts). */
  private readonly ring = new GuestRingFile();
  private stdioReady = Promise.withResolvers<StdioMux>();
  /** Host-loopback ports forwarded through the agent channel. */
  readonly hostPorts = new HostPorts();
  private sandboxId = "";

  constructor(
    readonly ctx: AgentContext,
    readonly boot: BootTimes,
  ) {}

  private get(id: string): Container {
    const c = this.containers.get(id);
    if (!c) throw notFound(`container ${id} not found`);
    return c;
  }

  async hello(): Promise<HelloInfo> {
    this.runcVersion ??= await this.ctx.runc.version();
    return {
      version: AGENT_VERSION,
      arch: process.arch === "arm64" ? "arm64" : "x86_64",
      ...this.boot,
      nowUnixMs: Date.now(),
      runcVersion: this.runcVersion,
      agentCpuUsec: cpuUsec(),
      readinessSignals: readinessSignals(),
    };
  }

  /** The guest becomes this sandbox's own: clock, fresh entropy, log level (see agent.proto). */
  setup(s: {
    unixMs: number;
    entropy: Uint8Array;
    logLevel: string;
    sandboxId: string;
    runtime: string;
  }): void {
    if (!(s.unixMs > 1e12)) throw invalidArgument(`bad time ${s.unixMs}: want ms since the epoch`);
    if (s.logLevel && !isLogLevelName(s.logLevel)) throw invalidArgument(`bad log level ${s.logLevel}`);
    if (s.runtime) {
      const binary = GUEST_RUNTIMES[s.runtime as GuestRuntime];
      if (!binary) throw invalidArgument(`unknown runtime ${s.runtime}: want runc or crun`);
      if (this.containers.size) throw failedPrecondition("the runtime is chosen before any container");
      this.ctx.runc.use(resolveRunc(binary));
    }
    setWallClock(s.unixMs);
    if (s.entropy.length) addEntropy(s.entropy);
    if (s.logLevel) setLogLevel(s.logLevel as LogLevelName);
    if (s.sandboxId) this.sandboxId = s.sandboxId;
    log.debug(`sandbox ${this.sandboxId}: clock set, ${s.entropy.length} bytes of entropy added`);
  }

  /** The VM's eth0 becomes the pod's CNI interface (agent/network.ts); before any container. */
  async configureNetwork(n: GuestNetwork): Promise<void> {
    if (this.containers.size || this.creating.size)
      throw failedPrecondition("the pod network is configured before any container");
    await configureNetwork(n, this.ctx.reaper);
  }

  /** A guest path the agent may mount on: inside its own state dir, no `..`. */
  private confined(path: string): string {
    const root = this.ctx.stateDir.replace(/\/+$/, "");
    if (!path.startsWith(`${root}/`) || path.split("/").some((p) => p === ".." || p === "."))
      throw invalidArgument(`mount target ${path} is outside ${root}`, {
        hint: "the agent mounts only under its state dir",
      });
    return path;
  }

  /**
   * Mount a host share (9p/virtiofs: `tag` is the share's tag), a guest tmpfs, or an overlay
   * assembled from guest paths (`tag` carries the overlay's options; its upper and work dirs are
   * created first, so they can live on a tmpfs mounted just before).
   */
  async mountShare(fstype: string, tag: string, target: string, readOnly: boolean): Promise<void> {
    this.confined(target);
    const known = SHARE_MOUNT_DATA[fstype];
    if (known === undefined && fstype !== "overlay" && fstype !== "tmpfs")
      throw invalidArgument(`unknown mount type ${fstype}: want 9p, virtiofs, overlay or tmpfs`);
    const source = fstype === "overlay" || fstype === "tmpfs" ? fstype : tag;
    const data = known ?? (fstype === "overlay" ? tag : "mode=0755");
    await mkdir(target, { recursive: true });
    if (fstype === "overlay") {
      for (const dir of overlayLowers(tag)) this.confined(dir);
      for (const dir of overlayDirs(tag)) await mkdir(this.confined(dir), { recursive: true });
    }
    try {
      mountFs(fstype, source, target, readOnly, data);
    } catch (e) {
      throw failedPrecondition(`cannot mount ${fstype} share ${tag} at ${target}: ${messageOf(e)}`, {
        hint: `start the VM with a ${fstype} share tagged ${tag} (and the guest kernel with ${fstype} support)`,
        cause: e,
      });
    }
    this.ring.mounted();
    log.debug(`mounted ${fstype} ${tag} at ${target}${readOnly ? " (ro)" : ""}`);
  }

  unmount(target: string): void {
    const path = this.confined(target);
    this.ring.unmounting(path);
    try {
      unmountFs(path);
    } catch (e) {
      throw failedPrecondition(`cannot unmount ${target}: ${messageOf(e)}`, { cause: e });
    }
  }

  async create(id: string, specJson: string, rootfs: string, stdio: StdioRequest): Promise<number> {
    if (this.containers.has(id) || this.creating.has(id))
      throw alreadyExists(`container ${id} already exists`);
    this.creating.add(id); // reserved while runc works, so a second Create cannot race in
    try {
      const pids = [...this.containers.values()].map((c) => c.init.pid);
      const c = await Container.create(this.ctx, id, specJson, rootfs, stdio, pids);
      this.containers.set(id, c);
      return c.init.pid;
    } finally {
      this.creating.delete(id);
    }
  }

  start(id: string, execId: string): Promise<number> {
    return this.get(id).start(execId);
  }

  exec(id: string, execId: string, processJson: string, stdio: StdioRequest): Promise<void> {
    return this.get(id).addExec(execId, processJson, stdio);
  }

  kill(id: string, execId: string, signal: number, all: boolean): Promise<void> {
    return this.get(id).kill(execId, signal, all);
  }

  async delete(id: string, execId: string): Promise<ExitStatus & { pid: number }> {
    const c = this.get(id);
    const r = await c.delete(execId);
    if (!execId) this.containers.delete(id);
    return r;
  }

  state(id: string, execId: string): ProcessState {
    return this.get(id).state(execId);
  }

  async ps(id: string): Promise<{ pid: number; command: string }[]> {
    const pids = await this.get(id).ps();
    return Promise.all(
      pids.map(async (pid) => ({
        pid,
        command: (await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => ""))
          .split("\0")
          .join(" ")
          .trim(),
      })),
    );
  }

  pause(id: string): Promise<void> {
    return this.get(id).pause();
  }

  resume(id: string): Promise<void> {
    return this.get(id).resume();
  }

  update(id: string, resourcesJson: string): Promise<void> {
    return this.get(id).update(resourcesJson);
  }

  stats(id: string): CgroupStats {
    const c = this.get(id);
    c.sm.assert("stats");
    return readStats(c.cgroupPath);
  }

  wait(id: string, execId: string): Promise<ExitStatus> {
    return this.get(id).handleOf(execId).wait();
  }

  resizePty(id: string, execId: string, cols: number, rows: number): void {
    this.get(id).resize(execId, cols, rows);
  }

  closeStdin(id: string, execId: string): Promise<void> {
    return this.get(id).handleOf(execId).io.closeStdin();
  }

  /** The host's stdio channel (a new connection replaces the old one, whose streams end). */
  attachStdio(conn: Duplex): void {
    this.stdio?.close();
    const mux = new StdioMux(conn, {
      ringOut: () => this.ring.get()?.guestToHost,
      ringIn: () => this.ring.get()?.hostToGuest,
    });
    this.stdio = mux;
    this.stdioReady.resolve(mux);
    void mux.closed.then(() => {
      if (this.stdio !== mux) return;
      this.stdio = undefined;
      this.stdioReady = Promise.withResolvers<StdioMux>();
    });
  }

  /** The stdio channel, once the host has connected it (it connects before asking for streams). */
  private async mux(): Promise<StdioMux> {
    const ready = this.stdio ?? (await Promise.race([this.stdioReady.promise, Bun.sleep(STDIO_WAIT_MS)]));
    if (!ready) throw unavailable("the host's stdio channel is not connected");
    return ready;
  }

  /**
   * Send a process's stdout or stderr on the stdio channel as `stream`, until its end of file.
   * Output is read from the process only as the host's credit allows (its pipe fills, and the
   * process blocks, when the host reads slowly).
   */
  async attachOutput(id: string, execId: string, name: string, stream: number): Promise<void> {
    if (name !== "stdout" && name !== "stderr")
      throw invalidArgument(`unknown stream ${name}: want stdout or stderr`);
    const io = this.get(id).handleOf(execId).io;
    const output = name as OutputName;
    const mux = await this.mux();
    const sender = mux.sender(stream);
    // Pipes are spliced into the channel where it can (the guest's port): no byte enters
    // JavaScript. A terminal, or a channel that cannot splice, is read and coalesced.
    const pump =
      mux.splices && !io.terminal
        ? io.spliceOutput(output, sender.sendPipe)
        : (async () => {
            for await (const chunk of coalesce(io.output(output))) if (!(await sender.send(chunk))) break;
          })();
    void pump
      .catch((e) => log.debug(`output ${id}/${execId || "init"} ${name}: ${messageOf(e)}`))
      .finally(() => sender.end());
  }

  /**
   * Write what the host sends on stdio stream `stream` into a process's stdin as it arrives (the
   * host's credit follows the process's reading: lib/stdio-mux.ts receiveInto). When the host's
   * stream ends and all is written, the same stream is ended back: the host's writeStdin then
   * returns, and a CloseStdin after it can never overtake the data. A write that fails resets
   * the host's stream (it stops sending) and the answer carries why, as its only payload.
   */
  async attachStdin(id: string, execId: string, stream: number): Promise<void> {
    const io = this.get(id).handleOf(execId).io;
    const mux = await this.mux();
    const written = mux.receiveInto(stream, io.stdinSink());
    const answer = mux.sender(stream);
    void (async () => {
      let failure = "";
      try {
        await written;
      } catch (e) {
        failure = messageOf(e);
        log.debug(`stdin ${id}/${execId || "init"}: ${failure}`);
      } finally {
        if (failure) await answer.send(new TextEncoder().encode(failure));
        await answer.end();
      }
    })();
  }

  events(signal: AbortSignal): AsyncGenerator<AgentEvent> {
    return this.ctx.events.subscribe(signal);
  }

  /** Kill and remove every container (agent shutdown). */
  async shutdown(): Promise<void> {
    await Promise.all([...this.containers.values()].map((c) => c.destroy()));
    this.containers.clear();
    this.ctx.reaper.stop();
    this.ctx.files.close();
    this.hostPorts.close();
    this.stdio?.close();
  }
}
