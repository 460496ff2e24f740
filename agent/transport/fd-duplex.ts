// A Duplex over raw file descriptors (a virtio-serial port, an accepted vsock socket). Reads and
// writes are non-blocking and signal-driven on the main thread (lib/fd-io.ts); a read is issued
// only when the HTTP/2 session wants more, so flow control reaches the fd. The stdio channel reads
// it itself instead (readTransient), and output waiting in a pipe can be spliced in (spliceFrom)
// instead of written.
import { closeSync } from "node:fs";
import { Duplex } from "node:stream";
import { FdReader, FdWriter } from "../../lib/fd-io.ts";
import { OnDemandSignal } from "../../lib/sys/readiness.ts";

export class FdDuplex extends Duplex {
  private readonly reader: FdReader;
  private readonly writer: FdWriter;
  private reading = false;
  private fdsClosed = false;

  /** `readFd` and `writeFd` may be the same fd; it is closed once, on destroy. */
  constructor(
    private readonly readFd: number,
    private readonly writeFd: number,
  ) {
    super();
    // One fd both ways (a virtio-serial port): one signal switch, armed while either side waits.
    const shared = readFd === writeFd ? new OnDemandSignal(readFd) : undefined;
    this.reader = new FdReader(readFd, shared);
    this.writer = new FdWriter(writeFd, shared);
  }

  override _read(): void {
    if (this.reading) return;
    this.reading = true;
    this.reader.read().then(
      (chunk) => {
        this.reading = false;
        if (chunk.length === 0) this.push(null);
        else if (this.push(chunk)) this._read();
      },
      (e: Error) => {
        this.reading = false;
        this.destroy(e);
      },
    );
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.writer.write(chunk).then(() => cb(), cb);
  }

  /**
   * lib/stdio-mux.ts PipeSplicer: the stdio channel writes straight to the fd, bypassing the
   * stream's buffer, so that spliced frames stay in order with the others.
   */
  async writeOrdered(bytes: Uint8Array): Promise<void> {
    await this.writer.write(bytes);
  }

  /**
   * lib/stdio-mux.ts TransientSource: the stdio channel reads the fd itself, each read a view of
   * the reader's buffer that it is done with before the next (no copy per read); the stream's own
   * reading is then never started.
   */
  readTransient(): Promise<Uint8Array> {
    return this.reader.readView();
  }

  /** `prefix`, then `n` bytes that wait in pipe `fromPipe`, moved by splice (never read here). */
  async spliceFrom(prefix: Uint8Array, fromPipe: number, n: number): Promise<void> {
    await this.writer.splice(fromPipe, n, prefix);
  }

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    if (!this.fdsClosed) {
      this.fdsClosed = true;
      this.reader.finish();
      this.writer.finish();
      for (const fd of new Set([this.readFd, this.writeFd])) {
        try {
          closeSync(fd);
        } catch {
          // already closed
        }
      }
    }
    cb(err);
  }
}
