// The stdio channel's framing (docs/WIRE.md "stdio channel"): container output and input travel on
// a byte stream of their own (a second virtio-serial port or vsock port), beside the gRPC channel
// that controls them, in frames with a 12-byte header:
//   u32 stream id (BE) | u32 length (BE) | u8 kind | 3 bytes zero
//   DATA    `length` bytes of payload follow
//   END     the sender has sent everything on this stream (no payload)
//   CREDIT  the receiver can take `length` more bytes of this stream (no payload)
//   RESET   the receiver wants no more of this stream (no payload)
//   RING    `length` bytes of this stream's data wait in the bulk ring at the reader's position
//           (no payload here: lib/stdio-ring.ts, docs/WIRE.md "Bulk ring")
// Each side sends DATA only within the credit the other side granted (INITIAL_CREDIT to start),
// so a slow consumer holds back its own stream and no other; RING frames count against it as DATA
// does. Stream 0 is the ring's own: its CREDIT frames give back ring space the reader has taken.
// Pure: bytes in, frames out; pushed
// chunks must not change afterwards (frames are views of them).
import { internal } from "./errors.ts";

export const FrameKind = { DATA: 1, END: 2, CREDIT: 3, RESET: 4, RING: 5 } as const;
export type FrameKindName = keyof typeof FrameKind;

export interface Frame {
  stream: number;
  kind: number;
  /** DATA: the payload; other kinds: empty. */
  data: Uint8Array;
  /** The header's length: DATA's payload size, CREDIT's bytes granted, RING's bytes in the ring. */
  length: number;
}

export const HEADER_BYTES = 12;
/** Largest DATA payload a sender puts in one frame. */
export const MAX_PAYLOAD = 256 * 1024;
/**
 * Largest RING frame: a container's whole output pipe (1 MiB) per frame, as one positional write
 * that the guest kernel cuts into msize-sized 9p requests itself (lib/stdio-ring.ts).
 */
export const MAX_RING_CHUNK = 1024 * 1024;
/** Credit each stream starts with, in each direction. */
export const INITIAL_CREDIT = 4 * 1024 * 1024;

export function header(stream: number, kind: number, length: number): Uint8Array {
  const h = new Uint8Array(HEADER_BYTES);
  const v = new DataView(h.buffer);
  v.setUint32(0, stream);
  v.setUint32(4, length);
  v.setUint8(8, kind);
  return h;
}

/** One DATA frame (header + payload) as a single buffer. */
export function dataFrame(stream: number, payload: Uint8Array): Uint8Array {
  if (payload.length > MAX_PAYLOAD) throw internal(`stdio frame of ${payload.length} bytes > ${MAX_PAYLOAD}`);
  const f = new Uint8Array(HEADER_BYTES + payload.length);
  f.set(header(stream, FrameKind.DATA, payload.length), 0);
  f.set(payload, HEADER_BYTES);
  return f;
}

export const controlFrame = (stream: number, kind: "END" | "CREDIT" | "RESET" | "RING", length = 0) =>
  header(stream, FrameKind[kind], length);

/** Turns a byte stream into frames, however the bytes were split. */
export class FrameDecoder {
  private pending: Uint8Array[] = [];
  private size = 0;
  /** The header of the frame whose payload is still arriving. */
  private head: { stream: number; kind: number; length: number } | undefined;

  /** Feed bytes; returns every frame now complete. Throws on a malformed header. */
  push(chunk: Uint8Array): Frame[] {
    this.pending.push(chunk);
    this.size += chunk.length;
    const out: Frame[] = [];
    for (;;) {
      if (!this.head) {
        if (this.size < HEADER_BYTES) return out;
        const h = this.take(HEADER_BYTES);
        const v = new DataView(h.buffer, h.byteOffset, HEADER_BYTES);
        const head = { stream: v.getUint32(0), length: v.getUint32(4), kind: v.getUint8(8) };
        if (head.kind < FrameKind.DATA || head.kind > FrameKind.RING)
          throw internal(`stdio frame of unknown kind ${head.kind}`);
        const max = head.kind === FrameKind.RING ? MAX_RING_CHUNK : MAX_PAYLOAD;
        if ((head.kind === FrameKind.DATA || head.kind === FrameKind.RING) && head.length > max)
          throw internal(`stdio frame of ${head.length} bytes > ${max}`);
        this.head = head;
      }
      const { stream, kind, length } = this.head;
      const payload = kind === FrameKind.DATA ? length : 0;
      if (this.size < payload) return out;
      this.head = undefined;
      const data = payload ? this.take(payload) : new Uint8Array(0);
      out.push({ stream, kind, data, length });
    }
  }

  private take(n: number): Uint8Array {
    const first = this.pending[0] as Uint8Array;
    if (first.length >= n) {
      // A view, not a copy: every chunk pushed is the pusher's to give (a stream's chunk is never
      // reused; lib/fd-io.ts FdReader hands each read over), and under TCG each copy costs.
      const out = first.subarray(0, n);
      if (first.length === n) this.pending.shift();
      else this.pending[0] = first.subarray(n);
      this.size -= n;
      return out;
    }
    // The bytes span several chunks: copied once, straight into the frame's own buffer.
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const piece = this.pending[0] as Uint8Array;
      const take = Math.min(piece.length, n - filled);
      out.set(take === piece.length ? piece : piece.subarray(0, take), filled);
      filled += take;
      if (take === piece.length) this.pending.shift();
      else this.pending[0] = piece.subarray(take);
    }
    this.size -= n;
    return out;
  }
}
