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
  MAX_RING_CHUNK,
} from "./stdio-frames.ts";
import { RING_MIN_BYTES, RING_STREAM, RingReader, RingWriter, type StdioRing } from "./stdio-ring.ts";

export interface StdioMuxOptions {
  /** The bulk ring's half to send large chunks through (lib/stdio-ring.ts), when it is open now. */
  ringOut?: () => StdioRing | undefined;
  /** The half that the other side's RING frames' bytes are read from. */
  ringIn?: () => StdioRing | undefined;
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

/**
 * A channel end the mux reads itself, each read a view it must be done with before the next (the
 * guest's FdDuplex: no copy and no fresh memory per read). What the mux keeps of it, it copies.
 */
export interface TransientSource {
  /** The next bytes, valid until the next call; empty at end of file. */
  readTransient(): Promise<Uint8Array>;
}

const sourceOf = (conn: Duplex): TransientSource | undefined =>
  typeof (conn as Partial<TransientSource>).readTransient === "function"
    ? (conn as unknown as TransientSource)
    : undefined;

/** A copy of `bytes` of its own (a Buffer's slice() would be a view). */
const copy = (bytes: Uint8Array) => new Uint8Array(bytes);

/** Where receiveInto writes a stream (the agent's side of a process's stdin: lib/fd-io.ts FdWriter). */
export interface StdioSink {
  /** Write what fits now without waiting, if nothing earlier is pending: the bytes taken. */
  writeNow(bytes: Uint8Array): number;
  /** Write `bytes` (the sink's to keep) after everything before; resolves once written. */
  write(bytes: Uint8Array): Promise<unknown>;
}

/** A stream received into a sink (receiveInto). */
interface Into {
  sink: StdioSink;
  /** Bytes the sink took at once, credited back once the read that brought them is handled. */
  owed: number;
  /** Writes the sink queued and has not finished. */
  queued: number;
  failed: boolean;
  done: { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void };
}

interface Outgoing {
  credit: number;
  wake?: () => void;
  reset: boolean;
}

interface Incoming {
  queue: Uint8Array[];
  ended: boolean;
  wake?: () => void;
  /** Written into a sink as it arrives instead of queued (receiveInto). */
  into?: Into;
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
  private ringScratch: Buffer | undefined;

  constructor(
    private readonly conn: Duplex,
    private readonly opts: StdioMuxOptions = {},
  ) {
    this.splicer = splicerOf(conn);
    const source = sourceOf(conn);
    if (source) void this.pull(source);
    else conn.on("data", (chunk: Uint8Array) => this.take(chunk, false));
    conn.once("close", () => this.fail(unavailable("the stdio channel closed")));
    conn.on("error", (e) => this.fail(e));
  }

  /** Read a transient source until its end; each view is handled before the next read. */
  private async pull(source: TransientSource): Promise<void> {
    try {
      for (;;) {
        const view = await source.readTransient();
        if (view.length === 0 || this.closedWith) break;
        this.take(view, true);
      }
    } catch (e) {
      this.fail(e as Error);
    }
    this.conn.destroy();
  }

  /** Handle one read's bytes; `transient`: they are gone after this call, so what is kept is copied. */
  private take(chunk: Uint8Array, transient: boolean): void {
    try {
      for (const f of this.decoder.push(chunk)) this.dispatch(f.stream, f.kind, f.data, f.length, transient);
      this.creditSinks();
    } catch (e) {
      this.fail(e as Error);
      this.conn.destroy();
    }
  }

  /** Resolves when the channel is gone. */
  get closed(): Promise<void> {
    return this.done.promise;
  }

  private dispatch(stream: number, kind: number, data: Uint8Array, length: number, transient: boolean): void {
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
    const payload = kind === FrameKind.RING ? this.takeFromRing(length, transient) : data;
    const i = this.in.get(stream);
    if (!i) return; // reset by us, or never opened: dropped
    if (kind === FrameKind.END) {
      i.ended = true;
      if (i.into) this.settle(stream, i, i.into);
    } else if (i.into) this.deliver(stream, i, i.into, payload, transient);
    else i.queue.push(transient ? copy(payload) : payload);
    i.wake?.();
  }

  /** Into a sink: what it takes now costs no copy; the rest is copied if transient and queued in it. */
  private deliver(stream: number, i: Incoming, into: Into, bytes: Uint8Array, transient: boolean): void {
    let taken: number;
    try {
      taken = into.sink.writeNow(bytes);
    } catch (e) {
      this.failInto(stream, i, into, e as Error);
      return;
    }
    into.owed += taken;
    if (taken === bytes.length) return;
    const rest = transient ? copy(bytes.subarray(taken)) : bytes.subarray(taken);
    into.queued++;
    into.sink.write(rest).then(
      () => {
        into.queued--;
        if (!into.failed) void this.write(controlFrame(stream, "CREDIT", rest.length));
        this.settle(stream, i, into);
      },
      (e: Error) => this.failInto(stream, i, into, e),
    );
  }

  /** A sink's stream is done once its END came and every write finished. */
  private settle(stream: number, i: Incoming, into: Into): void {
    if (!i.ended || into.queued > 0 || into.failed) return;
    this.in.delete(stream);
    into.done.resolve();
  }

  /** A sink's write failed: the sender is told to stop (RESET) and the receiver hears why. */
  private failInto(stream: number, i: Incoming, into: Into, e: Error): void {
    if (into.failed) return;
    into.failed = true;
    if (this.in.get(stream) === i) this.in.delete(stream);
    if (!this.closedWith) void this.write(controlFrame(stream, "RESET"));
    into.done.reject(e);
  }

  /** Give back, one CREDIT per stream, what the sinks took at once from the read just handled. */
  private creditSinks(): void {
    for (const [stream, i] of this.in) {
      if (!i.into?.owed) continue;
      void this.write(controlFrame(stream, "CREDIT", i.into.owed));
      i.into.owed = 0;
    }
  }

  /**
   * A RING frame's bytes, taken from the ring whoever they are for; their space goes back at once.
   * `transient`: into this end's scratch buffer (the receiver copies what it keeps), as its reads
   * of the channel are; else into memory of their own.
   */
  private takeFromRing(length: number, transient: boolean): Uint8Array {
    if (transient) this.ringScratch ??= Buffer.allocUnsafe(MAX_RING_CHUNK);
    const bytes = this.ringReader.take(
      this.opts.ringIn?.(),
      length,
      transient ? this.ringScratch : undefined,
    );
    void this.write(controlFrame(RING_STREAM, "CREDIT", length));
    return bytes;
  }

  /** The bytes that came in and went out through the ring (the client logs them). */
  get ringBytes(): { in: number; out: number } {
    return { in: this.ringReader.bytes, out: this.ringWriter.bytes };
  }

  private fail(e: Error): void {
    if (this.closedWith) return;
    this.closedWith = e;
    for (const o of this.out.values()) o.wake?.();
    for (const i of this.in.values()) {
      i.wake?.();
      if (i.into && !i.into.failed) i.into.done.reject(e);
    }
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
      if (ring) {
        sent = await this.ringFrame(stream, ring, n, (take) => this.ringWriter.putFromPipe(ring, pipe, take));
        return;
      }
      sent = Math.min(n, MAX_PAYLOAD);
      await splicer.spliceFrom(header(stream, FrameKind.DATA, sent), pipe, sent);
    }).then(() => sent);
  }

  /**
   * As much of `bytes` as one RING frame of `stream` takes, through `ring`, in order with every
   * other frame: resolves how many bytes were sent (0 once the channel is gone).
   */
  private writeThroughRing(stream: number, ring: StdioRing, bytes: Uint8Array): Promise<number> {
    let sent = 0;
    return this.enqueue(async () => {
      sent = await this.ringFrame(stream, ring, bytes.length, (take) =>
        this.ringWriter.put(ring, bytes.subarray(0, take)),
      );
    }).then(() => sent);
  }

  /**
   * Inside an op that enqueue() runs: up to `n` bytes of `stream` as one RING frame, once `ring`
   * has room; `fill` puts the first `take` of them into it. The bytes sent (0 once the channel is
   * gone).
   */
  private async ringFrame(
    stream: number,
    ring: StdioRing,
    n: number,
    fill: (take: number) => void,
  ): Promise<number> {
    const take = this.ringWriter.fit(ring, n);
    if (!(await this.ringWriter.room(ring, take, () => this.closedWith !== undefined))) return 0;
    fill(take);
    await this.rawWrite(controlFrame(stream, "RING", take));
    return take;
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
          const allowed = Math.min(o.credit, data.length - off);
          const ring = this.ringFor(allowed);
          if (ring) {
            o.credit -= allowed;
            const sent = await this.writeThroughRing(stream, ring, data.subarray(off, off + allowed));
            o.credit += allowed - sent;
            off += sent;
            continue;
          }
          const n = Math.min(allowed, MAX_PAYLOAD);
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

  /**
   * Write the bytes the other side sends on `stream` into `sink`, in order, until its END:
   * resolves once all is written. Registered at once, like receive(). What the sink takes at once
   * is credited back as soon as the read that brought it is handled; the rest waits in the sink
   * and is credited once written, so the sender's credit follows the sink. A failed write rejects,
   * with the sink's error, and resets the stream (the sender stops).
   */
  receiveInto(stream: number, sink: StdioSink): Promise<void> {
    const into: Into = { sink, owed: 0, queued: 0, failed: false, done: Promise.withResolvers<void>() };
    this.in.set(stream, { queue: [], ended: false, into });
    if (this.closedWith) into.done.reject(this.closedWith);
    return into.done.promise;
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
