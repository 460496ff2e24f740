// ttrpc client over a unix socket: unary calls and streams, with metadata and deadlines. A status
// error from the peer becomes a RunmError (status.ts fromStatus) carrying the caller's stack.
import { connect, type Socket } from "node:net";
import { deadlineExceeded, messageOf, unavailable } from "../errors.ts";
import { MessageQueue } from "./_queue.ts";
import { FrameSocket } from "./_wire.ts";
import { Flags, type Frame, MessageType } from "./frame.ts";
import { decodeResponse, encodeRequest } from "./messages.ts";
import { Code, fromStatus } from "./status.ts";
import type { CallOptions } from "./types.ts";

const EMPTY = new Uint8Array(0);

interface PendingStream {
  queue: MessageQueue;
  serverStreaming: boolean;
}

/** Client side of a streaming call. */
export interface ClientStream {
  send(payload: Uint8Array): Promise<void>;
  /** Tell the server no more data follows. */
  closeSend(): Promise<void>;
  /** Next message; null at the end of a server stream. Throws the call's error status. */
  recv(): Promise<Uint8Array | null>;
}

export class TtrpcClient {
  private nextId = 1;
  private readonly streams = new Map<number, PendingStream>();
  private closedError?: Error;

  private constructor(private readonly wire: FrameSocket) {}

  private static fromSocket(sock: Socket): TtrpcClient {
    let client: TtrpcClient | undefined;
    const wire = new FrameSocket(sock, {
      frame: (f) => client?.onFrame(f),
      oversize: (f) =>
        client?.failStream(f.streamId, new Error(`oversized ${f.oversize}-byte message from server`)),
      close: (err) => client?.onClose(err),
    });
    client = new TtrpcClient(wire);
    return client;
  }

  /** Connect to `unix:///path`, `unix://path` or a plain path. */
  static connect(address: string, timeoutMs = 5000): Promise<TtrpcClient> {
    const path = address.replace(/^unix:\/\//, "");
    return new Promise((resolve, reject) => {
      const sock = connect(path);
      const timer = setTimeout(() => {
        sock.destroy();
        reject(unavailable(`ttrpc: connecting to ${path} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      sock.once("connect", () => {
        clearTimeout(timer);
        sock.removeAllListeners("error");
        resolve(TtrpcClient.fromSocket(sock));
      });
      sock.once("error", (e) => {
        clearTimeout(timer);
        reject(unavailable(`ttrpc: cannot connect to ${path}: ${messageOf(e)}`, { cause: e }));
      });
    });
  }

  /** One request, one response. Resolves with the response payload. */
  async call(
    service: string,
    method: string,
    payload: Uint8Array,
    opts: CallOptions = {},
  ): Promise<Uint8Array> {
    const stack = new Error().stack;
    const s = this.open(service, method, payload, 0, false, opts, stack);
    const reply = await s.recv();
    return reply ?? EMPTY;
  }

  /** Start a streaming call. The request payload is the first message (or none). */
  stream(
    service: string,
    method: string,
    desc: { clientStreaming: boolean; serverStreaming: boolean },
    payload: Uint8Array = EMPTY,
    opts: CallOptions = {},
  ): ClientStream {
    const flags = desc.clientStreaming ? Flags.RemoteOpen : Flags.RemoteClosed;
    return this.open(service, method, payload, flags, desc.serverStreaming, opts, new Error().stack);
  }

  close(): void {
    this.wire.close();
  }

  private open(
    service: string,
    method: string,
    payload: Uint8Array,
    flags: number,
    serverStreaming: boolean,
    opts: CallOptions,
    stack?: string,
  ): ClientStream {
    const what = `${service}/${method}`;
    if (this.closedError) throw unavailable(`ttrpc ${what}: ${this.closedError.message}`);
    const id = this.nextId;
    this.nextId += 2;
    const queue = new MessageQueue((full) => (full ? this.wire.pause() : this.wire.resume()));
    this.streams.set(id, { queue, serverStreaming });

    let timer: ReturnType<typeof setTimeout> | undefined;
    if (opts.timeoutMs !== undefined) {
      timer = setTimeout(
        () =>
          this.failStream(id, deadlineExceeded(`ttrpc ${what}: deadline of ${opts.timeoutMs} ms exceeded`)),
        opts.timeoutMs,
      );
    }
    opts.signal?.addEventListener(
      "abort",
      () => this.failStream(id, unavailable(`ttrpc ${what}: canceled`)),
      {
        once: true,
      },
    );
    const request = encodeRequest({
      service,
      method,
      payload,
      timeoutNano: opts.timeoutMs === undefined ? 0n : BigInt(Math.round(opts.timeoutMs * 1e6)),
      metadata: opts.metadata ?? {},
    });
    this.wire
      .send(id, MessageType.Request, flags, request)
      .catch((e) => this.failStream(id, unavailable(`ttrpc ${what}: ${messageOf(e)}`)));

    const recv = async (): Promise<Uint8Array | null> => {
      try {
        const m = await queue.next();
        if (m === null) clearTimeout(timer);
        return m;
      } catch (e) {
        clearTimeout(timer);
        if (e instanceof StatusCarrier) throw fromStatus(e.status, `ttrpc ${what}`, stack);
        throw e;
      }
    };
    return {
      recv,
      send: (p) => this.wire.send(id, MessageType.Data, 0, p),
      closeSend: () => this.wire.send(id, MessageType.Data, Flags.RemoteClosed | Flags.NoData, EMPTY),
    };
  }

  private onFrame(f: Frame): void {
    const s = this.streams.get(f.streamId);
    if (!s) return; // a late reply to a call that already timed out
    if (f.type === MessageType.Response) {
      this.streams.delete(f.streamId);
      let r: ReturnType<typeof decodeResponse>;
      try {
        r = decodeResponse(f.payload);
      } catch (e) {
        s.queue.end(new Error(`ttrpc: bad response: ${messageOf(e)}`));
        return;
      }
      if (r.status && r.status.code !== Code.OK) {
        s.queue.end(new StatusCarrier(r.status));
        return;
      }
      if (!s.serverStreaming || r.payload.length > 0) s.queue.push(r.payload);
      s.queue.end();
      return;
    }
    if (f.type === MessageType.Data) {
      if (!(f.flags & Flags.NoData)) s.queue.push(f.payload);
      if (f.flags & Flags.RemoteClosed) {
        this.streams.delete(f.streamId);
        s.queue.end();
      }
    }
  }

  private failStream(id: number, err: Error): void {
    const s = this.streams.get(id);
    if (!s) return;
    this.streams.delete(id);
    s.queue.end(err);
  }

  private onClose(err?: Error): void {
    this.closedError = err ?? new Error("connection closed");
    for (const id of [...this.streams.keys()]) {
      this.failStream(id, unavailable(`ttrpc: connection closed${err ? `: ${err.message}` : ""}`));
    }
  }
}

/** Internal: carries a wire status through the queue to the awaiting caller. */
class StatusCarrier extends Error {
  constructor(
    readonly status: { code: number; message: string; details: { typeUrl: string; value: Uint8Array }[] },
  ) {
    super(status.message);
  }
}
