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
  header,
  INITIAL_CREDIT,
  MAX_PAYLOAD,
} from "./stdio-frames.ts";
import { RING_MIN_BYTES, RING_STREAM, RingReader, RingWriter, type StdioRing } from "./stdio-ring.ts";

export interface StdioMuxOptions {
  /** Guest: the bulk ring to send output through (lib/stdio-ring.ts), when it is open now. */
  ringOut?: () => StdioRing | undefined;
  /** Host: the bulk ring that RING frames' bytes are read from. */
  ringIn?: StdioRing;
}

/**
 * A channel end that can move bytes waiting in a pipe into itself with splice(2) (the guest's
 * FdDuplex). Under TCG the agent's JavaScript is the cost of every byte it reads and writes;
 * spliced output never enters it (docs/WIRE.md "stdio channel"). Both calls are ordered with each
 * other; the mux writes every frame through them.
 */
export interface PipeSplicer {
  writeOrdered(bytes: Uint8Array): Promise<void>;
  /** `prefix` (a frame header), then `n` bytes that wait in pipe `fromPipe`, as one write. */
  spliceFrom(prefix: Uint8Array, fromPipe: number, n: number): Promise<void>;
}

const splicerOf = (conn: Duplex): PipeSplicer | undefined =>
  typeof (conn as Partial<PipeSplicer>).spliceFrom === "function"
    ? (conn as unknown as PipeSplicer)
    : undefined;

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

export interface StdioSender {
  /** Resolves false once the other side reset the stream or the channel closed. */
  send(data: Uint8Array): Promise<boolean>;
  /**
   * Send up to `available` bytes that wait in pipe `pipe`, spliced (only where `splices`): resolves
   * how many were sent, 0 once the other side reset the stream or the channel closed.
   */
  sendPipe(pipe: number, available: number): Promise<number>;
  end(): Promise<void>;
}

export class StdioMux {
  private readonly out = new Map<number, Outgoing>();
  private readonly in = new Map<number, Incoming>();
  private readonly decoder = new FrameDecoder();
  private writing: Promise<void> = Promise.resolve();
  private closedWith: Error | undefined;
  private readonly done = Promise.withResolvers<void>();
  private readonly splicer: PipeSplicer | undefined;
  private readonly ringWriter = new RingWriter();
  private readonly ringReader = new RingReader();

  constructor(
    private readonly conn: Duplex,
    private readonly opts: StdioMuxOptions = {},
  ) {
    this.splicer = splicerOf(conn);
    conn.on("data", (chunk: Uint8Array) => {
      try {
        for (const f of this.decoder.push(chunk)) this.dispatch(f.stream, f.kind, f.data, f.length);
      } catch (e) {
        this.fail(e as Error);
        conn.destroy();
      }
    });
    conn.once("close", () => this.fail(unavailable("the stdio channel closed")));
    conn.on("error", (e) => this.fail(e));
  }

  /** Resolves when the channel is gone. */
  get closed(): Promise<void> {
    return this.done.promise;
  }

  private dispatch(stream: number, kind: number, data: Uint8Array, length: number): void {
    if (kind === FrameKind.CREDIT && stream === RING_STREAM) {
      this.ringWriter.release(length);
      return;
    }
    if (kind === FrameKind.CREDIT || kind === FrameKind.RESET) {
      const o = this.out.get(stream);
      if (!o) return; // finished already
      if (kind === FrameKind.CREDIT) o.credit += length;
      else o.reset = true;
      o.wake?.();
      return;
    }
    // Taken from the ring whoever it is for: the position moves on and the space goes back.
    const payload = kind === FrameKind.RING ? this.takeFromRing(length) : data;
    const i = this.in.get(stream);
    if (!i) return; // reset by us, or never opened: dropped
    if (kind === FrameKind.END) i.ended = true;
    else i.queue.push(payload);
    i.wake?.();
  }

  /** A RING frame's bytes, taken from the ring whoever they are for; their space goes back at once. */
  private takeFromRing(length: number): Uint8Array {
    const bytes = this.ringReader.take(this.opts.ringIn, length);
    void this.write(controlFrame(RING_STREAM, "CREDIT", length));
    return bytes;
  }

  /** The bytes that came through the ring (the client logs it). */
  get ringBytes(): number {
    return this.ringReader.bytes;
  }

  private fail(e: Error): void {
    if (this.closedWith) return;
    this.closedWith = e;
    for (const o of this.out.values()) o.wake?.();
    for (const i of this.in.values()) i.wake?.();
    this.ringWriter.abort();
    this.done.resolve();
  }

  /**
   * Write frames in order, one at a time, honouring the connection's backpressure. A failed write
   * leaves the byte stream unframeable: the channel is over (every sender sees it, none throws).
   */
  private write(frame: Uint8Array): Promise<void> {
    return this.enqueue(() => this.rawWrite(frame));
  }

  /** One frame onto the connection, now: only from an op that enqueue() runs. */
  private async rawWrite(frame: Uint8Array): Promise<void> {
    if (this.splicer) return this.splicer.writeOrdered(frame);
    await new Promise<void>((resolve) => {
      if (this.conn.write(frame)) resolve();
      else this.conn.once("drain", resolve);
    });
  }

  /** The ring to send `n` bytes through, if they are many enough and there is one. */
  private ringFor(n: number) {
    return n >= RING_MIN_BYTES ? this.opts.ringOut?.() : undefined;
  }

  /**
   * Up to `n` bytes waiting in `pipe` as one frame of `stream`, in order with every other frame:
   * through the ring (a RING frame) when they are many and there is one, else spliced into the
   * channel (DATA). Resolves how many bytes were sent.
   */
  private writeSpliced(stream: number, pipe: number, n: number): Promise<number> {
    const splicer = this.splicer;
    if (!splicer) throw new Error("this stdio channel cannot splice");
    let sent = 0;
    return this.enqueue(async () => {
      const ring = this.ringFor(n);
      if (!ring) {
        sent = Math.min(n, MAX_PAYLOAD);
        await splicer.spliceFrom(header(stream, FrameKind.DATA, sent), pipe, sent);
        return;
      }
      const take = this.ringWriter.fit(ring, n);
      if (!(await this.ringWriter.room(ring, take, () => this.closedWith !== undefined))) return;
      this.ringWriter.putFromPipe(ring, pipe, take);
      await splicer.writeOrdered(controlFrame(stream, "RING", take));
      sent = take;
    }).then(() => sent);
  }

  private enqueue(op: () => Promise<void>): Promise<void> {
    const next = this.writing.then(async () => {
      if (this.closedWith || this.conn.destroyed) return;
      try {
        await op();
      } catch (e) {
        this.fail(e as Error);
        this.conn.destroy();
      }
    });
    this.writing = next;
    return next;
  }

  /** Whether senders can splice from a pipe (sendPipe) on this channel. */
  get splices(): boolean {
    return this.splicer !== undefined;
  }

  /**
   * Open a stream to send on (the other side must expect it). `send` waits for credit;
   * it resolves false once the other side reset the stream or the channel closed.
   */
  sender(stream: number): StdioSender {
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
      sendPipe: async (pipe, available) => {
        while (alive() && o.credit <= 0) await new Promise<void>((r) => (o.wake = r));
        if (!alive()) return 0;
        const n = Math.min(o.credit, available);
        o.credit -= n;
        const sent = await this.writeSpliced(stream, pipe, n);
        o.credit += n - sent;
        return alive() ? sent : 0;
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
