import { describe, expect, test } from "bun:test";
import { encodeFrame, Flags, FrameDecoder, HEADER_LENGTH, MAX_PAYLOAD, MessageType } from "./frame.ts";
import { TtrpcError } from "./status.ts";

describe("ttrpc frame codec", () => {
  test("encodes the 10-byte big-endian header", () => {
    const f = encodeFrame(
      0x01020304,
      MessageType.Data,
      Flags.RemoteClosed | Flags.NoData,
      new Uint8Array([9, 8]),
    );
    expect([...f]).toEqual([0, 0, 0, 2, 1, 2, 3, 4, 3, 5, 9, 8]);
  });

  test("decodes frames from any chunking, one byte at a time included", () => {
    const a = encodeFrame(1, MessageType.Request, 0, new TextEncoder().encode("hello"));
    const b = encodeFrame(3, MessageType.Response, 0, new Uint8Array(0));
    const c = encodeFrame(5, MessageType.Data, Flags.RemoteOpen, new Uint8Array(1000).fill(7));
    const all = new Uint8Array([...a, ...b, ...c]);
    for (const size of [1, 3, 10, 11, 999, all.length]) {
      const d = new FrameDecoder();
      const got = [];
      for (let i = 0; i < all.length; i += size) got.push(...d.push(all.subarray(i, i + size)));
      expect(got.map((f) => [f.streamId, f.type, f.flags, f.payload.length])).toEqual([
        [1, 1, 0, 5],
        [3, 2, 0, 0],
        [5, 3, 2, 1000],
      ]);
      expect(new TextDecoder().decode(got[0]?.payload)).toBe("hello");
      expect(d.pending).toBe(0);
    }
  });

  test("keeps a partial frame pending", () => {
    const d = new FrameDecoder();
    const f = encodeFrame(7, MessageType.Data, 0, new Uint8Array(20));
    expect(d.push(f.subarray(0, 15))).toEqual([]);
    expect(d.pending).toBe(15);
  });

  test("refuses to encode more than 4 MiB", () => {
    expect(() => encodeFrame(1, 1, 0, new Uint8Array(MAX_PAYLOAD + 1))).toThrow(TtrpcError);
    expect(encodeFrame(1, 1, 0, new Uint8Array(MAX_PAYLOAD)).length).toBe(MAX_PAYLOAD + HEADER_LENGTH);
  });

  test("skips an oversized frame, reports it, and decodes the next one", () => {
    const big = MAX_PAYLOAD + 5;
    const head = new Uint8Array(HEADER_LENGTH);
    new DataView(head.buffer).setUint32(0, big);
    new DataView(head.buffer).setUint32(4, 9);
    head[8] = MessageType.Request;
    const d = new FrameDecoder();
    const first = d.push(head);
    expect(first.map((f) => [f.streamId, f.oversize])).toEqual([[9, big]]);
    // The body arrives in pieces and is discarded, then a good frame follows in the same chunk.
    expect(d.push(new Uint8Array(big - 100))).toEqual([]);
    const next = encodeFrame(11, MessageType.Request, 0, new Uint8Array([1]));
    const frames = d.push(new Uint8Array([...new Uint8Array(100), ...next]));
    expect(frames.map((f) => f.streamId)).toEqual([11]);
  });
});
