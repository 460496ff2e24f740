// I/O on character devices, pipes, FIFOs and sockets that Bun cannot drive itself: the agent's pty
// masters, virtio-serial port, vsock connections and stdin pipes, and the shim's stdio FIFOs. Each
// fd is non-blocking, and a call that would block arms it for SIGIO and waits for the kernel's
// signal (lib/sys/readiness.ts OnDemandSignal), so an idle fd costs nothing, and a busy one no
// signal per operation of its peer.
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
import { writeSync } from "node:fs";
import {
  closeFd,
  EBADF,
  EIO,
  iovecs,
  PIPE_MAX_BYTES,
  pipe,
  readInto,
  SysError,
  setPipeSize,
  splicePipe,
} from "./sys/libc.ts";
import { awaitReadiness, OnDemandSignal, type ReadinessWait } from "./sys/readiness.ts";

const CHUNK = 256 * 1024;
/** A virtio-serial port's receive buffer: one page (lib/sys/libc.ts readInto). */
const PORT_BUFFER = 4096;
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
  /** End of file as soon as nothing is readable (finishWhenDrained). */
  private draining = false;
  private readonly buf = Buffer.allocUnsafe(CHUNK);
  private readonly iov = iovecs(this.buf, PORT_BUFFER);
  private waiting: ReadinessWait | undefined;
  private recheckMs: number | undefined;

  /** `signal`: shared with a writer of the same fd (lib/sys/readiness.ts OnDemandSignal). */
  constructor(
    readonly fd: number,
    private readonly signal = new OnDemandSignal(fd),
  ) {}

  /**
   * From now on also retry every `ms` while waiting: for a pty master whose process has exited,
   * whose end of file the kernel does not signal (lib/sys/readiness.ts).
   */
  recheckEvery(ms: number): void {
    this.recheckMs = ms;
    this.waiting?.wake();
  }

  /** The next bytes, the caller's to keep; empty at end of file. */
  async read(): Promise<Uint8Array> {
    return new Uint8Array(await this.readView());
  }

  /**
   * The next bytes as a view of this reader's own buffer, valid only until the next read: for a
   * consumer that is done with them at once (the stdio channel, lib/stdio-mux.ts), which then
   * costs no copy and no fresh memory per read (under TCG, the first touch of fresh memory is a
   * page fault per 4 KiB). Empty at end of file.
   */
  async readView(): Promise<Uint8Array> {
    while (!this.done) {
      const got = this.readAvailable();
      if (got > 0 || this.done) {
        this.signal.disarm(this);
        return this.buf.subarray(0, got);
      }
      if (this.draining) break;
      if (this.signal.arm(this)) continue; // readable before it was armed: no signal said so
      this.waiting = awaitReadiness(this.recheckMs);
      await this.waiting.promise;
      this.waiting = undefined;
    }
    this.done = true;
    return new Uint8Array(0);
  }

  /**
   * Everything readable now, up to CHUNK, in one readv(2) of page-sized pieces (a virtio-serial
   * port fills one page per piece: lib/sys/libc.ts readInto). 0 when nothing is readable; end of
   * file (or EIO/EBADF) sets `done`.
   */
  private readAvailable(): number {
    let got: number | "again";
    try {
      got = readInto(this.fd, this.iov);
    } catch (e) {
      const errno = e instanceof SysError ? e.errno : 0;
      // A pty master whose slave is gone, or a closed fd: end of file.
      if (errno === EIO || errno === EBADF) {
        this.done = true;
        return 0;
      }
      throw Object.assign(new Error(`read fd ${this.fd}: ${(e as Error).message}`), { errno });
    }
    if (got === "again") return 0;
    if (got === 0) this.done = true;
    return got;
  }

  /**
   * The writer is done, though it may hold its end open (or the fd is a FIFO we also hold for
   * writing): what it already wrote is still read, and end of file comes once nothing more is
   * readable, instead of when the writer closes.
   */
  finishWhenDrained(): void {
    this.draining = true;
    this.waiting?.wake();
  }

  /** Stop reading: a pending read() ends with end of file now; anything unread is dropped. */
  finish(): void {
    this.done = true;
    this.waiting?.wake();
  }
}

/** Writes to one fd, in order; write() resolves when all bytes are written. */
export class FdWriter {
  private tail: Promise<unknown> = Promise.resolve();
  /** Writes queued and not yet settled. */
  private pending = 0;
  private closed = false;
  /** splice()'s private pipe [read end, write end], made on first use. */
  private staging: [number, number] | undefined;

  /** `signal`: shared with a reader of the same fd (lib/sys/readiness.ts OnDemandSignal). */
  constructor(
    readonly fd: number,
    private readonly signal = new OnDemandSignal(fd),
  ) {}

  write(data: Uint8Array): Promise<number> {
    return this.enqueue(() => this.transfer(data.length, (off) => this.writeSome(data, off)));
  }

  /**
   * Write what of `data` fits now, without waiting, unless an earlier write is still pending (then
   * nothing, which keeps the order): the bytes written. The caller queues the rest with write().
   */
  writeNow(data: Uint8Array): number {
    if (this.pending > 0 || this.closed) return 0;
    let off = 0;
    while (off < data.length) {
      const n = this.writeSome(data, off);
      if (n === "again") break;
      off += n;
    }
    return off;
  }

  private writeSome(data: Uint8Array, off: number): number | "again" {
    try {
      return writeSync(this.fd, data, off);
    } catch (e) {
      if (wouldBlock(e)) return "again";
      const code = (e as NodeJS.ErrnoException).code;
      throw Object.assign(new Error(`write fd ${this.fd}: ${code ?? e}`), { code });
    }
  }

  /**
   * Move `prefix` (if any), then exactly `n` bytes, which must already wait in pipe `fromPipe`, into this fd with
   * splice(2), in order with write(): the kernel moves the pipe's pages, the bytes never enter
   * JavaScript (the guest's container output path, docs/WIRE.md "stdio channel").
   *
   * The bytes pass through a pipe of this writer's own that each step empties completely: Linux's
   * virtio-console splice (6.1 here) sizes its scatterlist for every buffer in the source pipe but
   * fills only those it takes, so a splice that leaves bytes behind hands the virtqueue empty
   * entries and the guest kernel oopses (NULL page, seen here). Draining a private pipe whole
   * every time never leaves any; pipe-to-pipe splice moves pages without copying them.
   */
  splice(fromPipe: number, n: number, prefix?: Uint8Array): Promise<number> {
    return this.enqueue(async () => {
      if (!this.staging) {
        this.staging = pipe();
        // Room for a whole frame (lib/stdio-frames.ts MAX_PAYLOAD) in one step.
        setPipeSize(this.staging[1], PIPE_MAX_BYTES);
      }
      const [stageOut, stageIn] = this.staging;
      // A prefix (a frame header) rides in the same splice as the first bytes: one write, and on a
      // virtio port one notification of the host, per frame.
      let head = prefix?.length ? writeSync(stageIn, prefix) : 0;
      let moved = 0;
      while (moved < n) {
        const staged = splicePipe(fromPipe, stageIn, n - moved);
        if (staged === "again" || staged === 0)
          throw new Error(`splice from fd ${fromPipe}: the pipe held fewer than ${n} bytes`);
        const total = head + staged;
        await this.transfer(total, (off) => splicePipe(stageOut, this.fd, total - off));
        moved += staged;
        head = 0;
      }
      return moved;
    });
  }

  private enqueue(op: () => Promise<number>): Promise<number> {
    this.pending++;
    const next = this.tail.then(op).finally(() => this.pending--);
    this.tail = next.catch(() => {});
    return next;
  }

  /** Run `step` (bytes moved from offset, or "again" when the fd is full) until `total` moved. */
  private async transfer(total: number, step: (off: number) => number | "again"): Promise<number> {
    let off = 0;
    let wait = 1;
    while (off < total) {
      if (this.closed) throw new Error(`write fd ${this.fd}: closed`);
      const moved = step(off);
      if (moved !== "again") {
        this.signal.disarm(this);
        off += moved;
        wait = 1;
        continue;
      }
      if (this.signal.arm(this)) continue; // room freed before it was armed: no signal said so
      await awaitReadiness(wait).promise;
      wait = Math.min(wait * 2, WRITE_BACKOFF_MAX_MS);
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
    for (const fd of this.staging ?? []) closeFd(fd);
    this.staging = undefined;
  }
}
