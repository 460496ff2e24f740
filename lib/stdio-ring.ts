// The stdio channel's bulk ring (docs/WIRE.md "bulk ring"): a file on the VM's writable share that
// both ends hold open, in two halves, one per direction: the guest writes container output into
// one for the host to read, the host writes stdin into the other for the guest to read. A sender
// puts a large chunk into its half and only a RING frame (12 bytes) crosses the channel; the
// receiver reads the bytes at its own position as the frame arrives and gives the space back at
// once (CREDIT on RING_STREAM), so a half only ever holds bytes in flight. Why: a 9p request
// moves a whole chunk, copied by QEMU's I/O threads, where virtio-serial costs the guest's one
// vCPU a request per 4 KiB page out, and in, a QEMU main-loop turn and an interrupt per 4 KiB
// (its socket chardev reads 4096 bytes at a time). Filled in order and never across a half's end.
// The host reads the guest's half like any other guest bytes, only at offsets and lengths it
// checked; what the guest does to the host's half can only spoil its own input.
import { readSync, writeSync } from "node:fs";
import { internal } from "./errors.ts";
import { MAX_RING_CHUNK } from "./stdio-frames.ts";

/** One direction's half of the ring file as one end holds it: bytes [offset, offset + size). */
export interface StdioRing {
  fd: number;
  offset: number;
  size: number;
}

/** The ring file's two halves as one end holds them. */
export type RingHalves = { guestToHost: StdioRing; hostToGuest: StdioRing };

/** Both halves of a ring file of `fileSize` bytes open as `fd`. */
export function ringHalves(fd: number, fileSize: number): RingHalves {
  const size = Math.floor(fileSize / 2);
  return { guestToHost: { fd, offset: 0, size }, hostToGuest: { fd, offset: size, size } };
}

/** The stream id whose CREDIT frames return ring space (never a real stream's). */
export const RING_STREAM = 0;

/**
 * Chunks smaller than this go as DATA frames on the channel itself: a 9p round trip costs more
 * than a few pages through the port, and a terminal's lines stay as quick as before.
 */
export const RING_MIN_BYTES = 64 * 1024;

/** The sending end's position and the space the receiver has not given back yet. */
export class RingWriter {
  private pos = 0;
  private used = 0;
  private wake: (() => void) | undefined;
  private scratch: Buffer | undefined;
  /** The bytes put so far (the log says how much went through the ring). */
  bytes = 0;

  /** The most of `n` bytes one frame can take now: up to the ring's end. */
  fit(ring: StdioRing, n: number): number {
    return Math.min(n, MAX_RING_CHUNK, ring.size - this.pos);
  }

  /** Wait until `n` bytes are free (the receiver frees them as frames arrive); false if `gone()`. */
  async room(ring: StdioRing, n: number, gone: () => boolean): Promise<boolean> {
    while (!gone() && ring.size - this.used < n) await new Promise<void>((r) => (this.wake = r));
    this.wake = undefined;
    return !gone();
  }

  /**
   * Move exactly `n` bytes waiting in `pipe` into the ring: read, then one positional write. Not
   * spliced: Linux 6.1's 9p takes one page per request from a spliced pipe (iov_iter_get_pages of
   * a bvec stops at its first segment), so a 252 KiB splice became 63 writes of 4 KiB (20 MiB/s
   * measured), where a write from memory goes out in msize-sized requests, zero-copy.
   */
  putFromPipe(ring: StdioRing, pipe: number, n: number): void {
    this.scratch ??= Buffer.allocUnsafe(MAX_RING_CHUNK);
    for (let got = 0; got < n; ) {
      const r = readSync(pipe, this.scratch, got, n - got, null);
      if (r <= 0) throw internal(`the output pipe held fewer than ${n} bytes`);
      got += r;
    }
    this.put(ring, this.scratch.subarray(0, n));
  }

  /** Write `bytes` (at most fit()) at this end's position, as one positional write. */
  put(ring: StdioRing, bytes: Uint8Array): void {
    const at = ring.offset + this.pos;
    for (let done = 0; done < bytes.length; )
      done += writeSync(ring.fd, bytes, done, bytes.length - done, at + done);
    this.pos = (this.pos + bytes.length) % ring.size;
    this.used += bytes.length;
    this.bytes += bytes.length;
  }

  /** The receiver gave `n` bytes back. */
  release(n: number): void {
    if (n > this.used) throw internal(`the stdio ring was given back ${n} bytes it never lent`);
    this.used -= n;
    this.wake?.();
  }

  /** The channel is gone: a sender waiting for room stops waiting. */
  abort(): void {
    this.wake?.();
  }
}

/** The receiving end's position. */
export class RingReader {
  private pos = 0;
  /** The bytes taken so far (the log says how much went through the ring). */
  bytes = 0;

  /**
   * A RING frame's bytes, read out of the ring (checked against it first) into a buffer of their
   * own, or into `scratch` (at least MAX_RING_CHUNK) as a view valid until its next use.
   */
  take(ring: StdioRing | undefined, length: number, scratch?: Buffer): Uint8Array {
    if (!ring) throw internal("a RING frame on a stdio channel without a ring");
    if (length === 0 || length > ring.size - this.pos)
      throw internal(
        `a RING frame of ${length} bytes at ${this.pos} does not fit the ${ring.size}-byte ring`,
      );
    const bytes = scratch ? scratch.subarray(0, length) : Buffer.allocUnsafe(length);
    const at = ring.offset + this.pos;
    let got = 0;
    while (got < length) {
      const r = readSync(ring.fd, bytes, got, length - got, at + got);
      if (r <= 0) break;
      got += r;
    }
    if (got !== length) throw internal(`the stdio ring held ${got} of ${length} bytes at ${this.pos}`);
    this.pos = (this.pos + length) % ring.size;
    this.bytes += length;
    return bytes;
  }
}
