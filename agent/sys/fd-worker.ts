// Blocking I/O on character devices (pty masters, the virtio-serial port) without stalling the
// agent. Bun.file(fd).stream() uses pread there (ESPIPE); fs.read and tty.ReadStream park a
// thread-pool worker per fd, and a few of them starve every other fs call (measured: 4 idle
// readers hang readFile on 2 CPUs); non-blocking polling adds up to its backoff in latency. So
// each such fd gets its own small Worker thread (≈ 2.8 MB, measured) that blocks in read(2) or
// write(2). Reads are pull-based: the worker reads once per credit granted by read(), so a slow
// consumer leaves data in the kernel buffer. The worker source is inlined as a Blob URL, so a
// `bun build --compile` agent needs no extra entry point.
//
// Workers end themselves (self.close() at end of file or when told to stop), never through
// Worker.terminate(): terminating a worker parked in read(2) or Atomics.wait crashed Bun 1.4.5
// (segfault at 0x0 in the guest after a few tty execs).

const READER_SRC = `
const { readSync } = require("node:fs");
self.onmessage = (m) => {
  const { fd, credits } = m.data;
  const flag = new Int32Array(credits); // [credits, stop]
  const buf = Buffer.allocUnsafe(65536);
  for (;;) {
    while (Atomics.load(flag, 0) === 0 && Atomics.load(flag, 1) === 0) Atomics.wait(flag, 0, 0);
    if (Atomics.load(flag, 1) !== 0) { self.close(); return; }
    Atomics.sub(flag, 0, 1);
    let n = 0;
    let err = "";
    try { n = readSync(fd, buf, 0, buf.length, null); } catch (e) { if (e.code !== "EIO") err = e.code || String(e); }
    if (n === 0) { postMessage({ eof: true, err }); self.close(); return; }
    postMessage({ data: buf.slice(0, n) });
  }
};`;

const WRITER_SRC = `
const { writeSync } = require("node:fs");
self.onmessage = (m) => {
  if (m.data.stop) { self.close(); return; }
  const { fd, data, id } = m.data;
  try {
    let off = 0;
    while (off < data.length) off += writeSync(fd, data, off);
    postMessage({ id, n: off });
  } catch (e) { postMessage({ id, err: e.code || String(e) }); }
};`;

let readerUrl: string | undefined;
let writerUrl: string | undefined;
const urlOf = (src: string) => URL.createObjectURL(new Blob([src], { type: "application/javascript" }));

/** Pull-based reads of one fd in a worker thread. read() resolves an empty array at end of file. */
export class FdReader {
  private readonly worker: Worker;
  private readonly credits = new Int32Array(new SharedArrayBuffer(8)); // [credits, stop]
  private readonly waiting: ((chunk: Uint8Array) => void)[] = [];
  private readonly failing: ((e: Error) => void)[] = [];
  private done = false;

  constructor(readonly fd: number) {
    readerUrl ??= urlOf(READER_SRC);
    this.worker = new Worker(readerUrl);
    this.worker.onmessage = (m: MessageEvent<{ data?: Uint8Array; eof?: boolean; err?: string }>) => {
      const resolve = this.waiting.shift();
      const reject = this.failing.shift();
      if (m.data.eof) {
        this.finish();
        if (m.data.err) reject?.(new Error(`read fd ${fd}: ${m.data.err}`));
        else resolve?.(new Uint8Array(0));
        for (const r of this.waiting.splice(0)) r(new Uint8Array(0));
        return;
      }
      resolve?.(new Uint8Array(m.data.data ?? []));
    };
    this.worker.postMessage({ fd, credits: this.credits.buffer });
  }

  read(): Promise<Uint8Array> {
    if (this.done) return Promise.resolve(new Uint8Array(0));
    return new Promise((resolve, reject) => {
      this.waiting.push(resolve);
      this.failing.push(reject);
      Atomics.add(this.credits, 0, 1);
      Atomics.notify(this.credits, 0);
    });
  }

  /** Stop the worker. A read(2) already blocked ends with the fd's next data or end of file. */
  finish(): void {
    if (this.done) return;
    this.done = true;
    Atomics.store(this.credits, 1, 1);
    Atomics.notify(this.credits, 0);
    this.worker.unref();
  }
}

/** Writes to one fd in a worker thread, in order; write() resolves when all bytes are written. */
export class FdWriter {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (n: number) => void; reject: (e: Error) => void }>();
  private seq = 0;

  constructor(readonly fd: number) {
    writerUrl ??= urlOf(WRITER_SRC);
    this.worker = new Worker(writerUrl);
    this.worker.onmessage = (m: MessageEvent<{ id: number; n?: number; err?: string }>) => {
      const p = this.pending.get(m.data.id);
      this.pending.delete(m.data.id);
      if (m.data.err)
        p?.reject(Object.assign(new Error(`write fd ${fd}: ${m.data.err}`), { code: m.data.err }));
      else p?.resolve(m.data.n ?? 0);
    };
  }

  write(data: Uint8Array): Promise<number> {
    this.seq += 1;
    const id = this.seq;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ fd: this.fd, data, id });
    });
  }

  finish(): void {
    this.worker.postMessage({ stop: true });
    this.worker.unref();
    for (const p of this.pending.values()) p.reject(new Error(`write fd ${this.fd}: closed`));
    this.pending.clear();
  }
}
