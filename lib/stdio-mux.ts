// Both ends of the stdio channel (docs/WIRE.md "stdio channel"): many streams of container output
// and input multiplexed on one byte stream (lib/stdio-frames.ts), each with its own credit,
// so a consumer that stops reading holds back its own stream only. The guest agent and the host's
// AgentClient each hold one StdioMux over their end of the channel; which streams exist is agreed
// over gRPC (AttachOutput, AttachStdin), the bytes never touch it.
import type { Duplex } from "node:stream";
import { unavailable } from "./errors.ts";
import {
  controlFrame,
  dataFrame,
  FrameDecoder,
  FrameKind,
  INITIAL_CREDIT,
  MAX_PAYLOAD,
} from "./stdio-frames.ts";

interface Outgoing {
  credit: number;
  wake?: () => void;
  reset: boolean;
}

interface Incoming {
  queue: Uint8Array[];
  ended: boolean;
  wake?: () => void;
}

export class StdioMux {
  private readonly out = new Map<number, Outgoing>();
  private readonly in = new Map<number, Incoming>();
  private readonly decoder = new FrameDecoder();
  private writing: Promise<void> = Promise.resolve();
  private closedWith: Error | undefined;
  private readonly done = Promise.withResolvers<void>();

  constructor(private readonly conn: Duplex) {
    conn.on("data", (chunk: Uint8Array) => {
      try {
        for (const f of this.decoder.push(chunk)) this.dispatch(f.stream, f.kind, f.data, f.credit);
      } catch (e) {
        this.fail(e as Error);
      }
    });
    conn.once("close", () => this.fail(unavailable("the stdio channel closed")));
    conn.on("error", (e) => this.fail(e));
  }

  /** Resolves when the channel is gone. */
  get closed(): Promise<void> {
    return this.done.promise;
  }

  private dispatch(stream: number, kind: number, data: Uint8Array, credit: number): void {
    if (kind === FrameKind.CREDIT || kind === FrameKind.RESET) {
      const o = this.out.get(stream);
      if (!o) return; // finished already
      if (kind === FrameKind.CREDIT) o.credit += credit;
      else o.reset = true;
      o.wake?.();
      return;
    }
    const i = this.in.get(stream);
    if (!i) return; // reset by us, or never opened: dropped
    if (kind === FrameKind.DATA) i.queue.push(data);
    else i.ended = true;
    i.wake?.();
  }

  private fail(e: Error): void {
    if (this.closedWith) return;
    this.closedWith = e;
    for (const o of this.out.values()) o.wake?.();
    for (const i of this.in.values()) i.wake?.();
    this.done.resolve();
  }

  /** Write frames in order, one at a time, honouring the connection's backpressure. */
  private write(frame: Uint8Array): Promise<void> {
    const next = this.writing.then(
      () =>
        new Promise<void>((resolve) => {
          if (this.closedWith || this.conn.destroyed) return resolve();
          if (this.conn.write(frame)) resolve();
          else this.conn.once("drain", resolve);
        }),
    );
    this.writing = next;
    return next;
  }

  /**
   * Open a stream to send on (the other side must expect it). `send` waits for credit;
   * it resolves false once the other side reset the stream or the channel closed.
   */
  sender(stream: number): { send(data: Uint8Array): Promise<boolean>; end(): Promise<void> } {
    const o: Outgoing = { credit: INITIAL_CREDIT, reset: false };
    this.out.set(stream, o);
    const alive = () => !o.reset && !this.closedWith;
    return {
      send: async (data) => {
        for (let off = 0; off < data.length; ) {
          while (alive() && o.credit <= 0) await new Promise<void>((r) => (o.wake = r));
          if (!alive()) return false;
          const n = Math.min(o.credit, MAX_PAYLOAD, data.length - off);
          o.credit -= n;
          await this.write(dataFrame(stream, data.subarray(off, off + n)));
          off += n;
        }
        return alive();
      },
      end: async () => {
        this.out.delete(stream);
        if (!o.reset && !this.closedWith) await this.write(controlFrame(stream, "END"));
      },
    };
  }

  /**
   * The bytes the other side sends on `stream`, until its END. Registered at once (bytes that
   * arrive before the first read wait); each chunk the consumer takes is credited back; leaving
   * the loop early resets the stream (the sender stops).
   */
  receive(stream: number): AsyncGenerator<Uint8Array> {
    const i: Incoming = { queue: [], ended: false };
    this.in.set(stream, i);
    return this.consume(stream, i);
  }

  private async *consume(stream: number, i: Incoming): AsyncGenerator<Uint8Array> {
    let finished = false;
    try {
      for (;;) {
        const chunk = i.queue.shift();
        if (chunk) {
          yield chunk;
          await this.write(controlFrame(stream, "CREDIT", chunk.length));
          continue;
        }
        if (i.ended) {
          finished = true;
          return;
        }
        if (this.closedWith) throw this.closedWith;
        await new Promise<void>((r) => (i.wake = r));
        i.wake = undefined;
      }
    } finally {
      this.in.delete(stream);
      if (!finished && !this.closedWith) void this.write(controlFrame(stream, "RESET"));
    }
  }

  close(): void {
    this.conn.destroy();
  }
}
