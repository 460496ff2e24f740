// ttrpc framing as a pure codec: bytes in, frames out. No sockets here, so it is unit-testable and
// shared by the client and the server. Wire format: docs/WIRE.md ("ttrpc").
//   header (10 bytes) = u32 BE payload length | u32 BE stream id | u8 type | u8 flags
import { TtrpcError } from "./status.ts";

export const HEADER_LENGTH = 10;
/** Largest payload either side may send or accept (ttrpc's messageLengthMax). */
export const MAX_PAYLOAD = 4 << 20;

export const MessageType = { Request: 1, Response: 2, Data: 3 } as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

export const Flags = {
  /** Request/Data: the sender will send no more data on this stream. */
  RemoteClosed: 0x1,
  /** Request: the sender keeps sending data after the request (client streaming). */
  RemoteOpen: 0x2,
  /** Data: the frame carries no message (usually with RemoteClosed). */
  NoData: 0x4,
} as const;

export interface Frame {
  streamId: number;
  type: number;
  flags: number;
  payload: Uint8Array;
  /** Set when the payload exceeded MAX_PAYLOAD: its bytes were skipped and `payload` is empty. */
  oversize?: number;
}

export function encodeFrame(streamId: number, type: number, flags: number, payload: Uint8Array): Uint8Array {
  if (payload.length > MAX_PAYLOAD) {
    throw new TtrpcError(
      "ResourceExhausted",
      `message length ${payload.length} exceeds maximum message size of ${MAX_PAYLOAD}`,
    );
  }
  const out = new Uint8Array(HEADER_LENGTH + payload.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, payload.length);
  view.setUint32(4, streamId >>> 0);
  out[8] = type;
  out[9] = flags;
  out.set(payload, HEADER_LENGTH);
  return out;
}

/**
 * Incremental decoder. `push` takes any chunking of the byte stream and returns the frames it
 * completes, in order. A payload over MAX_PAYLOAD is skipped (its bytes discarded as they arrive)
 * and returned as a frame marked `oversize`, as ttrpc's Go channel does, so the peer gets a status
 * instead of a dropped connection.
 */
export class FrameDecoder {
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  private discard = 0;

  push(chunk: Uint8Array): Frame[] {
    const frames: Frame[] = [];
    if (this.discard > 0) {
      const skip = Math.min(this.discard, chunk.length);
      this.discard -= skip;
      chunk = chunk.subarray(skip);
    }
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    while (this.buffered >= HEADER_LENGTH) {
      const head = this.peek(HEADER_LENGTH);
      const view = new DataView(head.buffer, head.byteOffset, HEADER_LENGTH);
      const length = view.getUint32(0);
      const streamId = view.getUint32(4);
      const type = head[8] ?? 0;
      const flags = head[9] ?? 0;
      if (length > MAX_PAYLOAD) {
        this.take(HEADER_LENGTH);
        const skip = Math.min(length, this.buffered);
        this.take(skip);
        this.discard = length - skip;
        frames.push({ streamId, type, flags, payload: new Uint8Array(0), oversize: length });
        continue;
      }
      if (this.buffered < HEADER_LENGTH + length) break;
      this.take(HEADER_LENGTH);
      frames.push({ streamId, type, flags, payload: this.take(length) });
    }
    return frames;
  }

  /** Bytes held for an incomplete frame (non-zero at EOF means the peer cut a frame short). */
  get pending(): number {
    return this.buffered;
  }

  private peek(n: number): Uint8Array {
    const first = this.chunks[0];
    if (first && first.length >= n) return first.subarray(0, n);
    return this.copyOut(n, false);
  }

  private take(n: number): Uint8Array {
    if (n === 0) return new Uint8Array(0);
    const first = this.chunks[0];
    if (first && first.length >= n) {
      const out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      this.buffered -= n;
      // Copy so a frame never pins a large socket chunk.
      return out.slice();
    }
    return this.copyOut(n, true);
  }

  private copyOut(n: number, consume: boolean): Uint8Array {
    const out = new Uint8Array(n);
    let off = 0;
    let i = 0;
    while (off < n) {
      const c = this.chunks[i] as Uint8Array;
      const k = Math.min(c.length, n - off);
      out.set(c.subarray(0, k), off);
      off += k;
      if (consume) {
        if (k === c.length) this.chunks.shift();
        else this.chunks[0] = c.subarray(k);
      } else i += 1;
    }
    if (consume) this.buffered -= n;
    return out;
  }
}
