// A Duplex over raw file descriptors (a virtio-serial port, an accepted vsock socket): reads
// are pulled from the fd only when the HTTP/2 session wants more, writes go straight to the fd.
import { close as closeCb } from "node:fs";
import { Duplex } from "node:stream";
import { promisify } from "node:util";
import { readSome, writeAll } from "../sys/fd-read.ts";

const closeFd = promisify(closeCb);

export class FdDuplex extends Duplex {
  private reading = false;
  private fdsClosed = false;

  /** `readFd` and `writeFd` may be the same fd; it is closed once. */
  constructor(
    private readonly readFd: number,
    private readonly writeFdNum: number,
  ) {
    super();
  }

  override _read(): void {
    if (this.reading) return;
    this.reading = true;
    readSome(this.readFd).then(
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
    writeAll(this.writeFdNum, chunk).then(() => cb(), cb);
  }

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    if (this.fdsClosed) {
      cb(err);
      return;
    }
    this.fdsClosed = true;
    const fds = new Set([this.readFd, this.writeFdNum]);
    Promise.all([...fds].map((fd) => closeFd(fd).catch(() => {}))).then(() => cb(err));
  }
}
