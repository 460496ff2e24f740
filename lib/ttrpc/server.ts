// ttrpc server over unix sockets: unary and streaming methods, metadata, deadlines from
// timeout_nano, and errors sent as google.rpc.Status (converted in status.ts, nowhere else).
import { rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { logger } from "../log.ts";
import { MessageQueue } from "./_queue.ts";
import { FrameSocket } from "./_wire.ts";
import { Flags, type Frame, MessageType } from "./frame.ts";
import { decodeRequest, encodeResponse, type RequestMessage } from "./messages.ts";
import { Code, type Status, TtrpcError, toStatus } from "./status.ts";
import type { CallContext, MethodHandler, StreamMethod } from "./types.ts";

const log = logger("ttrpc");
const EMPTY = new Uint8Array(0);

interface ActiveStream {
  queue: MessageQueue;
  abort: AbortController;
  remoteClosed: boolean;
  done: boolean;
}

export class TtrpcServer {
  private readonly services = new Map<string, Map<string, MethodHandler>>();
  private readonly connections = new Set<Connection>();
  private server?: Server;
  private path?: string;

  register(service: string, methods: Record<string, MethodHandler>): this {
    const table = this.services.get(service) ?? new Map<string, MethodHandler>();
    for (const [name, h] of Object.entries(methods)) table.set(name, h);
    this.services.set(service, table);
    return this;
  }

  lookup(service: string, method: string): MethodHandler | TtrpcError {
    const table = this.services.get(service);
    if (!table) return new TtrpcError("Unimplemented", `service ${service}`);
    return table.get(method) ?? new TtrpcError("Unimplemented", `method ${method}`);
  }

  /** Listen on a unix socket path (replacing a stale socket file). */
  async listen(path: string): Promise<void> {
    rmSync(path, { force: true });
    const server = createServer((sock) => this.accept(sock));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(path, () => resolve());
    });
    this.server = server;
    this.path = path;
  }

  /** Serve an already connected socket (tests, or a listener owned elsewhere). */
  accept(sock: Socket): void {
    const c = new Connection(this, sock, () => this.connections.delete(c));
    this.connections.add(c);
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Stop listening, close every connection and remove the socket file. */
  async close(): Promise<void> {
    for (const c of this.connections) c.close();
    const s = this.server;
    this.server = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    if (this.path) rmSync(this.path, { force: true });
  }
}

class Connection {
  private readonly wire: FrameSocket;
  private readonly streams = new Map<number, ActiveStream>();
  private lastStreamId = 0;
  private fullQueues = 0;

  constructor(
    private readonly server: TtrpcServer,
    sock: Socket,
    private readonly onClose: () => void,
  ) {
    this.wire = new FrameSocket(sock, {
      frame: (f) => this.onFrame(f),
      oversize: (f) =>
        this.sendStatus(f.streamId, {
          code: Code.ResourceExhausted,
          message: `message length ${f.oversize} exceed maximum message size of ${4 << 20}`,
          details: [],
        }),
      close: (err) => {
        if (err) log.debug(`connection closed: ${err.message}`);
        for (const s of this.streams.values()) {
          s.abort.abort(new TtrpcError("Canceled", "connection closed"));
          s.queue.end(new TtrpcError("Canceled", "connection closed"));
        }
        this.streams.clear();
        this.onClose();
      },
    });
  }

  close(): void {
    this.wire.close();
  }

  private onFrame(f: Frame): void {
    if (f.streamId % 2 !== 1) {
      this.sendStatus(
        f.streamId,
        status("InvalidArgument", "StreamID must be odd for client initiated streams"),
      );
      return;
    }
    if (f.type === MessageType.Request) {
      this.onRequest(f);
      return;
    }
    if (f.type === MessageType.Data) {
      this.onData(f);
      return;
    }
    // Unknown types are ignored for forward compatibility, as ttrpc does.
  }

  private onData(f: Frame): void {
    const s = this.streams.get(f.streamId);
    if (!s || s.remoteClosed) {
      this.sendStatus(f.streamId, status("InvalidArgument", "StreamID is no longer active"));
      return;
    }
    if (!(f.flags & Flags.NoData)) s.queue.push(f.payload);
    if (f.flags & Flags.RemoteClosed) {
      s.remoteClosed = true;
      s.queue.end();
    }
  }

  private onRequest(f: Frame): void {
    if (f.streamId <= this.lastStreamId) {
      this.sendStatus(f.streamId, status("InvalidArgument", "StreamID cannot be re-used and must increment"));
      return;
    }
    this.lastStreamId = f.streamId;
    let req: RequestMessage;
    try {
      req = decodeRequest(f.payload);
    } catch (e) {
      this.sendStatus(f.streamId, status("InvalidArgument", `unmarshal request error: ${String(e)}`));
      return;
    }
    const handler = this.server.lookup(req.service, req.method);
    if (handler instanceof TtrpcError) {
      this.sendStatus(f.streamId, toStatus(handler));
      return;
    }

    const abort = new AbortController();
    const timeoutNs = req.timeoutNano;
    const deadline = timeoutNs > 0n ? Date.now() + Number(timeoutNs / 1_000_000n) : undefined;
    const ctx: CallContext = {
      service: req.service,
      method: req.method,
      metadata: req.metadata,
      deadline,
      signal: abort.signal,
    };
    const stream: ActiveStream = {
      queue: new MessageQueue((full) => this.onQueueLevel(full)),
      abort,
      remoteClosed: false,
      done: false,
    };
    this.streams.set(f.streamId, stream);
    const streaming = typeof handler !== "function";

    let timer: ReturnType<typeof setTimeout> | undefined;
    if (deadline !== undefined) {
      timer = setTimeout(() => {
        abort.abort(new TtrpcError("DeadlineExceeded", "context deadline exceeded"));
        this.finish(f.streamId, stream, status("DeadlineExceeded", "context deadline exceeded"));
      }, deadline - Date.now());
    }
    const run = async (): Promise<Uint8Array | undefined> => {
      if (typeof handler === "function") return handler(req.payload, ctx);
      return this.runStream(f, req, handler, stream, ctx);
    };
    run().then(
      (payload) => {
        clearTimeout(timer);
        if (streaming && (handler as StreamMethod).serverStreaming) {
          this.finishStreaming(f.streamId, stream, payload);
        } else this.finish(f.streamId, stream, undefined, payload ?? EMPTY);
      },
      (e) => {
        clearTimeout(timer);
        if (!(e instanceof TtrpcError) && !stream.done)
          log.debug(`${req.service}/${req.method} failed: ${String(e)}`);
        this.finish(f.streamId, stream, toStatus(e));
      },
    );
  }

  private runStream(
    f: Frame,
    req: RequestMessage,
    m: StreamMethod,
    s: ActiveStream,
    ctx: CallContext,
  ): Promise<Uint8Array | undefined> {
    // The request's payload is the first message, unless a streaming client sent none.
    if (req.payload.length > 0 || !m.clientStreaming) s.queue.push(req.payload);
    if (!m.clientStreaming || f.flags & Flags.RemoteClosed) {
      s.remoteClosed = true;
      s.queue.end();
    }
    return m.handler(
      {
        recv: () => s.queue.next(),
        send: (payload) => {
          if (s.done) return Promise.reject(new TtrpcError("Canceled", "stream is closed"));
          if (!m.serverStreaming)
            return Promise.reject(new TtrpcError("Internal", "method is not server streaming"));
          return this.wire.send(f.streamId, MessageType.Data, 0, payload);
        },
      },
      ctx,
    );
  }

  /** Final Response frame: a status, or OK with the payload. */
  private finish(id: number, s: ActiveStream, st?: Status, payload: Uint8Array = EMPTY): void {
    if (s.done) return;
    this.end(id, s);
    const body = encodeResponse({ status: st ?? { code: Code.OK, message: "", details: [] }, payload });
    this.wire.send(id, MessageType.Response, 0, body).catch(() => {});
  }

  /** A server stream ends OK with a closing Data frame, as ttrpc's Go server does. */
  private finishStreaming(id: number, s: ActiveStream, payload?: Uint8Array): void {
    if (s.done) return;
    this.end(id, s);
    const flags = Flags.RemoteClosed | (payload === undefined ? Flags.NoData : 0);
    this.wire.send(id, MessageType.Data, flags, payload ?? EMPTY).catch(() => {});
  }

  private end(id: number, s: ActiveStream): void {
    s.done = true;
    s.queue.end();
    this.streams.delete(id);
  }

  private sendStatus(id: number, st: Status): void {
    this.wire
      .send(id, MessageType.Response, 0, encodeResponse({ status: st, payload: EMPTY }))
      .catch(() => {});
  }

  private onQueueLevel(full: boolean): void {
    this.fullQueues += full ? 1 : -1;
    if (this.fullQueues > 0) this.wire.pause();
    else this.wire.resume();
  }
}

function status(code: keyof typeof Code, message: string): Status {
  return { code: Code[code], message, details: [] };
}
