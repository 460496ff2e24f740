// The host side of the agent API: the one adapter that touches lib/proto. It connects to a unix
// socket (QEMU's virtio-serial chardev, vfkit's vsock socket, or a test agent's --listen) and
// returns plain TS types; every gRPC error becomes a RunmError in errors.ts.
import { AsyncLocalStorage } from "node:async_hooks";
import { closeSync, constants, fstatSync, openSync } from "node:fs";
import { createConnection } from "node:net";
import type { Duplex } from "node:stream";
import { type Client, makeGenericClientConstructor, type ServiceError } from "@grpc/grpc-js";
import { coalesce } from "../coalesce.ts";
import { type GuestRuntime, stdioSocketFor } from "../constants.ts";
import { deadlineExceeded, failedPrecondition, messageOf, unavailable } from "../errors.ts";
import { logger } from "../log.ts";
import { checkGuestNetwork, type GuestNetwork } from "../net/guest-network.ts";
import { agentService } from "../proto/service.ts";
import type * as W from "../proto/wire.ts";
import { StdioMux } from "../stdio-mux.ts";
import { type RingHalves, ringHalves } from "../stdio-ring.ts";
import { fromStatus } from "./errors.ts";
import { OwnedConnection } from "./owned-connection.ts";
import type {
  AgentEvent,
  AgentInfo,
  ContainerStats,
  ExitResult,
  ProcessId,
  ProcessState,
  StdioOptions,
} from "./types.ts";

const AgentClientCtor = makeGenericClientConstructor(agentService, "Agent");

/**
 * The deadline (ms since the epoch) of the request being served, for every agent call made while
 * serving it: the shim runs each containerd call inside `callDeadline.run(its deadline, ...)`, so
 * a guest that stops answering fails that call in time instead of holding containerd forever.
 */
export const callDeadline = new AsyncLocalStorage<number | undefined>();
/** Without a caller's deadline, no unary call waits longer than this (Wait has none). */
export const DEFAULT_CALL_TIMEOUT_MS = 120_000;
type Callback = (e: ServiceError | null, r: unknown) => void;
type Rpc = (req: object, opts: object, cb: Callback) => void;

const ref = (p: ProcessId): W.ProcessRef => ({ containerId: p.containerId, execId: p.execId ?? "" });
const stdio = (s: StdioOptions = {}): W.Stdio => ({ terminal: !!s.terminal, stdin: !!s.stdin });
const date = (ms: number) => new Date(ms);

const log = logger("agent-client");

/**
 * The host's handle on a VM's ring: it reads the guest's half (the guest's writes land in it
 * through the VMM) and writes its own (lib/stdio-ring.ts).
 */
function openRing(path: string): RingHalves {
  const fd = openSync(path, constants.O_RDWR | constants.O_NOFOLLOW);
  return ringHalves(fd, fstatSync(fd).size);
}

/**
 * HTTP/2 receive window (per stream and connection): bytes in flight before the agent waits for a
 * WINDOW_UPDATE, which now matters for host-loopback tunnels (container stdio has its own channel).
 * Measured when stdout still rode gRPC: the default 64 KiB held it to 6-8 MiB/s across a TCG
 * guest's round trips; 8 MiB gave 13-16 MiB/s (`runm vm run -- dd` of 64 MiB; 32 MiB no better).
 */
const FLOW_CONTROL_WINDOW = 8 * 1024 * 1024;

export class AgentClient {
  private readonly grpc: Client & Record<string, unknown>;
  private readonly connection = new OwnedConnection();

  private stdio: Promise<StdioMux> | undefined;
  private nextStream = 1;

  readonly stdioPath: string;
  private readonly stdioRing: string | undefined;

  /**
   * `socketPath`: a unix socket carrying the agent's HTTP/2 stream; `stdioPath`: the one carrying
   * its stdio channel (beside it by default). Both connect lazily. `stdioRing`: the VM's bulk ring
   * (lib/stdio-ring-file.ts), read for the output the agent sends through it.
   */
  constructor(
    readonly socketPath: string,
    opts: { stdioPath?: string; stdioRing?: string } = {},
  ) {
    this.stdioPath = opts.stdioPath ?? stdioSocketFor(socketPath);
    this.stdioRing = opts.stdioRing;
    this.grpc = new AgentClientCtor(`unix:${socketPath}`, this.connection, {
      "grpc.max_receive_message_length": 64 * 1024 * 1024,
      // A local socket that is not there yet (VM still starting) is worth retrying quickly:
      // grpc-js's default first backoff of 1 s added a second to every agent start (measured).
      "grpc.initial_reconnect_backoff_ms": 10,
      "grpc.max_reconnect_backoff_ms": 250,
      "grpc-node.flow_control_window": FLOW_CONTROL_WINDOW,
    }) as unknown as Client & Record<string, unknown>;
  }

  /** `timeoutMs`: this call's own bound; "none" for a call that waits on purpose (Wait). */
  private call<Res>(name: string, req: object, timeoutMs?: number | "none"): Promise<Res> {
    const fn = this.grpc[name] as Rpc;
    const own = typeof timeoutMs === "number" ? Date.now() + timeoutMs : undefined;
    const outer = callDeadline.getStore();
    const fallback = timeoutMs === "none" ? undefined : Date.now() + DEFAULT_CALL_TIMEOUT_MS;
    const deadline = Math.min(own ?? Infinity, outer ?? Infinity, fallback ?? Infinity);
    const opts = Number.isFinite(deadline) ? { deadline } : {};
    const callerStack = new Error().stack ?? ""; // the reply arrives on another stack
    return new Promise((resolve, reject) =>
      fn.call(this.grpc, req, opts, (e, r) => {
        if (!e) return resolve(r as Res);
        const err = fromStatus(e, name);
        err.stack = `${err.name}: ${err.message}\n${callerStack.split("\n").slice(1).join("\n")}`;
        reject(err);
      }),
    );
  }

  /** Retry Hello until the agent answers or `timeoutMs` passes (the guest may still be booting). */
  async waitReady(timeoutMs: number): Promise<AgentInfo> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    while (Date.now() < deadline) {
      try {
        return await this.hello(Math.max(50, Math.min(1000, deadline - Date.now())));
      } catch (e) {
        last = e;
        await Bun.sleep(20);
      }
    }
    throw deadlineExceeded(`the agent did not answer within ${timeoutMs} ms (${messageOf(last)})`, {
      hint: "check the VM console log: did the guest boot and start runm-agent?",
      cause: last,
    });
  }

  async hello(timeoutMs?: number): Promise<AgentInfo> {
    const r = await this.call<W.HelloResponse>("Hello", {}, timeoutMs);
    return { ...r, guestTime: date(r.nowUnixMs) };
  }

  /** Make the guest this sandbox's own: clock, fresh entropy, log level, id (see agent.proto). */
  async setup(s: {
    time?: Date;
    entropy: Uint8Array;
    logLevel?: string;
    sandboxId: string;
    runtime?: GuestRuntime;
  }): Promise<void> {
    await this.call("Setup", {
      unixMs: (s.time ?? new Date()).getTime(),
      entropy: s.entropy,
      logLevel: s.logLevel ?? "",
      sandboxId: s.sandboxId,
      runtime: s.runtime ?? "",
    });
  }

  /** Make the VM's eth0 the pod's CNI interface (lib/net/guest-network.ts). */
  async configureNetwork(n: GuestNetwork): Promise<void> {
    await this.call("ConfigureNetwork", checkGuestNetwork(n));
  }

  async unmount(target: string): Promise<void> {
    await this.call("Unmount", { target });
  }

  /** 9p/virtiofs: mount the share `tag`; tmpfs: a guest tmpfs; overlay: `tag` holds the options. */
  async mountShare(s: {
    fstype: "9p" | "virtiofs" | "tmpfs" | "overlay";
    tag: string;
    target: string;
    readOnly: boolean;
  }): Promise<void> {
    await this.call("MountShare", s);
  }

  /** `runc create`: returns the init's pid. `spec` is an OCI runtime spec object. */
  async create(containerId: string, spec: object, opts: { rootfs?: string; stdio?: StdioOptions } = {}) {
    const r = await this.call<W.PidResponse>("Create", {
      containerId,
      specJson: JSON.stringify(spec),
      rootfs: opts.rootfs ?? "",
      stdio: stdio(opts.stdio),
    });
    return r.pid;
  }

  async start(p: ProcessId): Promise<number> {
    return (await this.call<W.PidResponse>("Start", { process: ref(p) })).pid;
  }

  /** Register an exec (`process` is an OCI process object); start it with start(). */
  async exec(p: Required<ProcessId>, process: object, opts: StdioOptions = {}): Promise<void> {
    await this.call("Exec", { process: ref(p), processJson: JSON.stringify(process), stdio: stdio(opts) });
  }

  async kill(p: ProcessId, signal: number, all = false, timeoutMs?: number): Promise<void> {
    await this.call("Kill", { process: ref(p), signal, all }, timeoutMs);
  }

  async delete(p: ProcessId, timeoutMs?: number): Promise<ExitResult & { pid: number }> {
    const r = await this.call<W.DeleteResponse>("Delete", { process: ref(p) }, timeoutMs);
    return { pid: r.pid, exitStatus: r.exitStatus, exitedAt: date(r.exitedAtUnixMs) };
  }

  async state(p: ProcessId, timeoutMs?: number): Promise<ProcessState> {
    const r = await this.call<W.StateResponse>("State", { process: ref(p) }, timeoutMs);
    const { exitedAtUnixMs, status, ...rest } = r;
    return {
      ...rest,
      status: status as ProcessState["status"],
      exitedAt: exitedAtUnixMs ? date(exitedAtUnixMs) : undefined,
    };
  }

  async ps(containerId: string): Promise<{ pid: number; command: string }[]> {
    return (await this.call<W.PsResponse>("Ps", { containerId })).processes;
  }

  async pause(containerId: string): Promise<void> {
    await this.call("Pause", { containerId });
  }

  async resume(containerId: string): Promise<void> {
    await this.call("Resume", { containerId });
  }

  /** `resources`: OCI LinuxResources, as `runc update --resources`. */
  async update(containerId: string, resources: object): Promise<void> {
    await this.call("Update", { containerId, resourcesJson: JSON.stringify(resources) });
  }

  async stats(containerId: string): Promise<ContainerStats> {
    return this.call<W.StatsResponse>("Stats", { containerId });
  }

  async wait(p: ProcessId): Promise<ExitResult> {
    const r = await this.call<W.WaitResponse>("Wait", { process: ref(p) }, "none");
    return { exitStatus: r.exitStatus, exitedAt: date(r.exitedAtUnixMs) };
  }

  async resizePty(p: ProcessId, width: number, height: number): Promise<void> {
    await this.call("ResizePty", { process: ref(p), width, height });
  }

  async closeStdin(p: ProcessId): Promise<void> {
    await this.call("CloseStdin", { process: ref(p) });
  }

  /** The stdio channel (lib/stdio-mux.ts), connected on first use and again after a loss. */
  private mux(): Promise<StdioMux> {
    this.stdio ??= new Promise<StdioMux>((resolve, reject) => {
      const sock = createConnection(this.stdioPath);
      sock.once("connect", () => {
        let ring: RingHalves | undefined;
        try {
          ring = this.stdioRing ? openRing(this.stdioRing) : undefined;
        } catch (e) {
          sock.destroy();
          this.stdio = undefined;
          reject(unavailable(`cannot open the VM's stdio ring ${this.stdioRing}`, { cause: e }));
          return;
        }
        const mux = new StdioMux(
          sock,
          ring && { ringIn: () => ring.guestToHost, ringOut: () => ring.hostToGuest },
        );
        void mux.closed.then(() => {
          this.stdio = undefined;
          if (!ring) return;
          closeSync(ring.guestToHost.fd);
          const { in: came, out: went } = mux.ringBytes;
          log.debug(`stdio channel closed: ${came} bytes came and ${went} went through the ring`);
        });
        resolve(mux);
      });
      sock.once("error", (e) => {
        this.stdio = undefined;
        reject(unavailable(`cannot reach the agent's stdio channel at ${this.stdioPath}`, { cause: e }));
      });
    });
    return this.stdio;
  }

  /**
   * The process's stdout or stderr until end of file, over the stdio channel: each chunk taken is
   * credited back to the agent, so a slow consumer slows only this stream. Breaking out of the
   * loop resets the stream (the agent stops reading the process's output).
   */
  async *output(p: ProcessId, stream: "stdout" | "stderr" = "stdout"): AsyncGenerator<Uint8Array> {
    const mux = await this.mux();
    const id = this.nextStream++;
    const chunks = mux.receive(id); // registered before the agent can send
    try {
      await this.call("AttachOutput", { process: ref(p), stream, channelStream: id });
    } catch (e) {
      await chunks.return(undefined);
      throw e;
    }
    yield* chunks;
  }

  /**
   * Send `data` to the process's stdin over the stdio channel; resolves once the agent has
   * written all of it (so a closeStdin after it cannot overtake it); does not close stdin.
   * Returns the bytes sent.
   */
  async writeStdin(p: ProcessId, data: AsyncIterable<Uint8Array> | Uint8Array): Promise<number> {
    const mux = await this.mux();
    const id = this.nextStream++;
    const answer = mux.receive(id); // ends once everything is written; carries why it was not
    await this.call("AttachStdin", { process: ref(p), channelStream: id });
    const sender = mux.sender(id);
    let sent = 0;
    let open = true;
    // Batched while the guest is behind: each frame costs the agent about as much as a MiB of
    // bytes (measured, 100 MiB in 256 KiB frames: 64-79 MiB/s; in 1 MiB frames: 120-155).
    const chunks = data instanceof Uint8Array ? [data] : coalesce(data);
    for await (const chunk of chunks) {
      open = await sender.send(chunk);
      if (!open) break;
      sent += chunk.length;
    }
    await sender.end();
    const why: Uint8Array[] = [];
    for await (const chunk of answer) why.push(chunk);
    if (why.length || !open)
      throw failedPrecondition(
        `the process no longer reads its stdin (it exited or closed it)${why.length ? `: ${Buffer.concat(why)}` : ""}`,
      );
    return sent;
  }

  /**
   * Lifecycle events from now on, until `signal` aborts. `onSubscribed` runs once the agent has
   * registered the subscription: events after that moment are not missed (subscribe, wait for
   * it, then Create).
   */
  async *events(signal?: AbortSignal, onSubscribed?: () => void): AsyncGenerator<AgentEvent> {
    const call = (
      this.grpc.Events as (r: object) => AsyncIterable<W.Event> & NodeJS.EventEmitter & { cancel(): void }
    )({});
    if (onSubscribed) call.once("metadata", onSubscribed);
    const onAbort = () => call.cancel();
    signal?.addEventListener("abort", onAbort);
    try {
      for await (const e of call) {
        const { timestampUnixMs, type, ...rest } = e;
        yield { ...rest, type: type as AgentEvent["type"], timestamp: date(timestampUnixMs) };
      }
    } catch (e) {
      if (!signal?.aborted) throw fromStatus(e, "Events");
    } finally {
      signal?.removeEventListener("abort", onAbort);
      call.cancel();
    }
  }

  /**
   * Guest connections to the host-loopback address on these ports, one per accepted connection,
   * until `signal` aborts; `onSubscribed` runs once the guest listens.
   */
  async *forwardHostPorts(
    ports: number[],
    sockets: W.GuestSocket[],
    signal: AbortSignal,
    onSubscribed?: () => void,
  ): AsyncGenerator<W.ForwardedConnection> {
    const call = (
      this.grpc.ForwardHostPorts as (
        r: object,
      ) => AsyncIterable<W.ForwardedConnection> & NodeJS.EventEmitter & { cancel(): void }
    )({ ports, sockets });
    if (onSubscribed) call.once("metadata", onSubscribed);
    const onAbort = () => call.cancel();
    signal.addEventListener("abort", onAbort);
    try {
      for await (const c of call) yield c;
    } catch (e) {
      if (!signal.aborted) throw fromStatus(e, "ForwardHostPorts");
    } finally {
      signal.removeEventListener("abort", onAbort);
      call.cancel();
    }
  }

  /**
   * Carry forwarded connection `id` over `sock` (a host connection) both ways, with backpressure;
   * resolves when both directions have ended.
   */
  tunnel(id: string, sock: Duplex): Promise<void> {
    type Call = NodeJS.ReadWriteStream & { write(m: W.TunnelData): boolean; end(): void; cancel(): void };
    const call = (this.grpc.Tunnel as () => Call)();
    call.write({ id, data: new Uint8Array(0), eof: false });
    sock.on("data", (d: Buffer) => {
      if (!call.write({ id: "", data: d, eof: false })) {
        sock.pause();
        call.once("drain", () => sock.resume());
      }
    });
    sock.once("end", () => call.end());
    call.on("data", (m: W.TunnelData) => {
      if (m.eof) return void sock.end();
      if (!sock.write(m.data)) {
        call.pause();
        sock.once("drain", () => call.resume());
      }
    });
    return new Promise((resolve) => {
      let open = 2;
      const done = () => {
        open -= 1;
        if (open === 0) resolve();
      };
      call.once("end", () => {
        sock.end();
        done();
      });
      call.once("error", () => {
        sock.destroy();
        resolve();
      });
      sock.once("close", () => {
        call.end();
        done();
      });
      sock.on("error", () => call.cancel());
    });
  }

  /** Hang up now: the agent's socket is closed when this returns (owned-connection.ts says why). */
  close(): void {
    this.grpc.close();
    this.connection.destroy();
    void this.stdio?.then(
      (m) => m.close(),
      () => {},
    );
    this.stdio = undefined;
  }
}
