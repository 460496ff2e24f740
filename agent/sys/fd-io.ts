// I/O on character devices and pipes the agent owns (pty masters, the virtio-serial port, stdin
// pipes) on the main thread. Bun.file(fd).stream() uses pread there (ESPIPE); a blocking fs.read
// parks a thread-pool worker per fd (a few starve every other fs call on 2 CPUs: measured); and
// Worker threads blocked in read(2) crashed Bun 1.4.5 in the guest (segfault at 0x0, a few times
// per hundred tty starts). So the fd is made non-blocking and polled: a read or write that would
// block retries after 1 ms, backing off to MAX_BACKOFF_MS while the fd stays idle. Reads are
// pull-based: nothing is read until the consumer asks, so a slow consumer leaves data in the kernel.
import { readSync, writeSync } from "node:fs";
import { setNonBlocking } from "./libc.ts";

const CHUNK = 64 * 1024;
/** Worst added latency on an idle fd; a busy fd is read back to back. */
const MAX_BACKOFF_MS = 8;

const wouldBlock = (e: unknown) => {
  const code = (e as NodeJS.ErrnoException).code;
  return code === "EAGAIN" || code === "EWOULDBLOCK";
};

/** Pull-based reads of one fd. read() resolves an empty array at end of file (EIO on a pty). */
export class FdReader {
  private done = false;
  private readonly buf = Buffer.allocUnsafe(CHUNK);

  constructor(readonly fd: number) {
    setNonBlocking(fd);
  }

  async read(): Promise<Uint8Array> {
    let wait = 1;
    while (!this.done) {
      try {
        const n = readSync(this.fd, this.buf, 0, CHUNK, null);
        if (n === 0) this.done = true;
        return new Uint8Array(this.buf.subarray(0, n));
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === "EIO" || code === "EBADF") {
          this.done = true;
          break;
        }
        if (!wouldBlock(e)) throw Object.assign(new Error(`read fd ${this.fd}: ${code ?? e}`), { code });
      }
      await Bun.sleep(wait);
      wait = Math.min(wait * 2, MAX_BACKOFF_MS);
    }
    return new Uint8Array(0);
  }

  /** Stop reading: a pending read() ends with end of file. */
  finish(): void {
    this.done = true;
  }
}

/** Writes to one fd, in order; write() resolves when all bytes are written. */
export class FdWriter {
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(readonly fd: number) {
    setNonBlocking(fd);
  }

  write(data: Uint8Array): Promise<number> {
    const next = this.tail.then(() => this.writeAll(data));
    this.tail = next.catch(() => {});
    return next;
  }

  private async writeAll(data: Uint8Array): Promise<number> {
    let off = 0;
    let wait = 1;
    while (off < data.length) {
      if (this.closed) throw new Error(`write fd ${this.fd}: closed`);
      try {
        off += writeSync(this.fd, data, off);
        wait = 1;
      } catch (e) {
        if (!wouldBlock(e)) {
          const code = (e as NodeJS.ErrnoException).code;
          throw Object.assign(new Error(`write fd ${this.fd}: ${code ?? e}`), { code });
        }
        await Bun.sleep(wait);
        wait = Math.min(wait * 2, MAX_BACKOFF_MS);
      }
    }
    return off;
  }

  /** Stop writing: pending writes fail with "closed". */
  finish(): void {
    this.closed = true;
  }
}
