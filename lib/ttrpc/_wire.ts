// A socket seen as frames: decodes incoming bytes with FrameDecoder and writes encoded frames,
// resolving each write when the socket has taken it (so senders can wait for backpressure).
import type { Socket } from "node:net";
import { encodeFrame, type Frame, FrameDecoder } from "./frame.ts";

export interface WireHandlers {
  frame(f: Frame): void;
  /** A frame whose payload was over the size cap and was skipped. */
  oversize(f: Frame): void;
  /** The peer closed or the socket failed; `err` is set for failures and cut frames. */
  close(err?: Error): void;
}

export class FrameSocket {
  private readonly decoder: FrameDecoder;
  private closed = false;

  constructor(
    readonly socket: Socket,
    private readonly h: WireHandlers,
  ) {
    this.decoder = new FrameDecoder();
    socket.on("data", (chunk: Uint8Array) => {
      for (const f of this.decoder.push(chunk)) f.oversize === undefined ? h.frame(f) : h.oversize(f);
    });
    socket.on("error", (e) => this.finish(e));
    socket.on("close", () =>
      this.finish(
        this.decoder.pending > 0 ? new Error("connection closed in the middle of a frame") : undefined,
      ),
    );
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Write one frame; resolves once it is flushed to the kernel or rejects if the socket is gone. */
  send(streamId: number, type: number, flags: number, payload: Uint8Array): Promise<void> {
    const bytes = encodeFrame(streamId, type, flags, payload);
    if (this.closed) return Promise.reject(new Error("connection closed"));
    return new Promise((resolve, reject) => {
      this.socket.write(bytes, (err) => (err ? reject(err) : resolve()));
    });
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  close(): void {
    this.socket.destroy();
  }

  private finish(err?: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.h.close(err);
  }
}
