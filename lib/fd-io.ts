// I/O on character devices, pipes, FIFOs and sockets that Bun cannot drive itself: the agent's pty
// masters, virtio-serial port, vsock connections and stdin pipes, and the shim's stdio FIFOs. Each
// fd is made non-blocking and signal-driven (lib/sys/libc.ts setSignalDriven), and a call that
// would block waits for the kernel's SIGIO (lib/sys/readiness.ts), so an idle fd costs nothing.
// Why not Bun's own I/O:
// - Bun.file(fd).stream() uses pread on a character device (ESPIPE);
// - a blocking fs.read parks a thread-pool worker per fd (a few starve every other fs call on 2
//   CPUs: measured);
// - Worker threads blocked in read(2) crashed Bun 1.4.5 in the guest (segfault at 0x0, a few
//   times per hundred tty starts);
// - Bun's FileSink has had hangs on pipes and FIFOs where flush()/end() never settle (oven-sh/bun
//   #35956, #35993, #41709).
// Reads are pull-based: nothing is read until the consumer asks, so a slow consumer leaves data in
// the kernel (and the writer blocks), which is the flow control end to end.
import { readSync, writeSync } from "node:fs";
import { awaitReadiness, type ReadinessWait, setSignalDriven } from "./sys/readiness.ts";

const CHUNK = 256 * 1024;
/**
 * A virtio-serial port does not signal when room frees up in its send queue (pipes, FIFOs, ptys
 * and sockets do): a blocked write also retries on a short backoff. It only runs while a write is
 * blocked, never on an idle fd.
 */
const WRITE_BACKOFF_MAX_MS = 8;

const wouldBlock = (e: unknown) => {
  const code = (e as NodeJS.ErrnoException).code;
  return code === "EAGAIN" || code === "EWOULDBLOCK";
};

/** Pull-based reads of one fd. read() resolves an empty array at end of file (EIO on a pty). */
export class FdReader {
  private done = false;
  private readonly buf = Buffer.allocUnsafe(CHUNK);
  private waiting: ReadinessWait | undefined;
  private recheckMs: number | undefined;

  constructor(readonly fd: number) {
    setSignalDriven(fd);
  }

  /**
   * From now on also retry every `ms` while waiting: for a pty master whose process has exited,
   * whose end of file the kernel does not signal (lib/sys/readiness.ts).
   */
  recheckEvery(ms: number): void {
    this.recheckMs = ms;
    this.waiting?.wake();
  }

  async read(): Promise<Uint8Array> {
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
      this.waiting = awaitReadiness(this.recheckMs);
      await this.waiting.promise;
      this.waiting = undefined;
    }
    return new Uint8Array(0);
  }

  /** Stop reading: a pending read() ends with end of file now. */
  finish(): void {
    this.done = true;
    this.waiting?.wake();
  }
}

/** Writes to one fd, in order; write() resolves when all bytes are written. */
export class FdWriter {
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(readonly fd: number) {
    setSignalDriven(fd);
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
        await awaitReadiness(wait).promise;
        wait = Math.min(wait * 2, WRITE_BACKOFF_MAX_MS);
      }
    }
    return off;
  }

  /**
   * Wait until every write so far is done, at most `timeoutMs` (a FIFO nobody reads stays full);
   * true if they all finished.
   */
  async drain(timeoutMs: number): Promise<boolean> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<boolean>((r) => {
      timer = setTimeout(() => r(false), timeoutMs);
    });
    const done = await Promise.race([this.tail.then(() => true), late]);
    clearTimeout(timer);
    return done;
  }

  /** Stop writing: pending writes fail with "closed". */
  finish(): void {
    this.closed = true;
  }
}
