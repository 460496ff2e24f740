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
// Pure: bytes in, frames out (DATA payloads as views of the bytes pushed).
import { internal } from "./errors.ts";

export const FrameKind = { DATA: 1, END: 2, CREDIT: 3, RESET: 4, RING: 5 } as const;
export type FrameKindName = keyof typeof FrameKind;

export interface Frame {
  stream: number;
  kind: number;
  /** DATA: a piece of the payload (FrameDecoder); other kinds: empty. */
  data: Uint8Array;
  /** DATA: this piece's size; CREDIT: the bytes granted; RING: the bytes in the ring. */
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

const EMPTY = new Uint8Array(0);

/**
 * Turns a byte stream into frames, however the bytes were split. A DATA frame's payload comes out
 * as it arrives, one Frame per piece, each a view of the chunk that brought it: a frame that spans
 * two reads (most do: a read and a frame are each up to 256 KiB) is never copied whole, and under
 * TCG every copy costs (measured on stdin: 0.1-0.16 s per 20 MiB). A view is only as lasting as
 * its chunk: a receiver of transient chunks copies what it keeps (lib/stdio-mux.ts).
 */
export class FrameDecoder {
  private readonly head = new Uint8Array(HEADER_BYTES);
  /** Header bytes gathered so far (a header can span chunks too). */
  private headFill = 0;
  /** The stream of the DATA frame whose payload is arriving, and how much of it is still to come. */
  private dataStream = 0;
  private dataLeft = 0;

  /** Feed bytes; returns every frame (or DATA piece) they complete. Throws on a malformed header. */
  push(chunk: Uint8Array): Frame[] {
    const out: Frame[] = [];
    let off = 0;
    while (off < chunk.length) {
      if (this.dataLeft > 0) {
        const n = Math.min(this.dataLeft, chunk.length - off);
        out.push({
          stream: this.dataStream,
          kind: FrameKind.DATA,
          data: chunk.subarray(off, off + n),
          length: n,
        });
        this.dataLeft -= n;
        off += n;
        continue;
      }
      const n = Math.min(HEADER_BYTES - this.headFill, chunk.length - off);
      this.head.set(chunk.subarray(off, off + n), this.headFill);
      this.headFill += n;
      off += n;
      if (this.headFill < HEADER_BYTES) break;
      this.headFill = 0;
      const v = new DataView(this.head.buffer);
      const stream = v.getUint32(0);
      const length = v.getUint32(4);
      const kind = v.getUint8(8);
      if (kind < FrameKind.DATA || kind > FrameKind.RING)
        throw internal(`stdio frame of unknown kind ${kind}`);
      const max = kind === FrameKind.RING ? MAX_RING_CHUNK : MAX_PAYLOAD;
      if ((kind === FrameKind.DATA || kind === FrameKind.RING) && length > max)
        throw internal(`stdio frame of ${length} bytes > ${max}`);
      if (kind === FrameKind.DATA) {
        this.dataStream = stream;
        this.dataLeft = length;
      } else out.push({ stream, kind, data: EMPTY, length });
    }
    return out;
  }
}
