// A process's stdio as the agent holds it: the read ends of its stdout/stderr pipes and the write
// end of its stdin pipe, or one pty master for a terminal. Output is pulled from the fd only while
// the host's stdio stream has credit (AttachOutput), so unread output waits in the pipe (the process blocks when
// it is full, as with containerd's fifos) and nothing is lost before the host attaches.
import { failedPrecondition, invalidArgument } from "../lib/errors.ts";
import { FdReader, FdWriter } from "../lib/fd-io.ts";
import type { StdioSink } from "../lib/stdio-mux.ts";
import { closeFd, hungUp, PIPE_MAX_BYTES, pipe, readableBytes, setPipeSize } from "../lib/sys/libc.ts";
import { awaitReadiness, OnDemandSignal, type ReadinessWait } from "../lib/sys/readiness.ts";
import type { ChildStdio } from "./runc.ts";
import { resizePty } from "./sys/pty.ts";

/** The part of a ReadableStream reader used here (Bun's types and Node's differ). */
type ByteReader = { read(): Promise<{ done: boolean; value?: Uint8Array }>; cancel(): Promise<void> };

function chunkReader(r: FdReader): ByteReader {
  return {
    read: async () => {
      const value = await r.read();
      return value.length ? { done: false, value } : { done: true };
    },
    cancel: async () => r.finish(),
  };
}

export type OutputName = "stdout" | "stderr";

/**
 * Sends up to `available` bytes waiting in pipe `fd` onward without reading them (the stdio
 * channel's splice, lib/stdio-mux.ts); resolves how many it sent, 0 when the receiver is gone.
 */
export type PipeSend = (fd: number, available: number) => Promise<number>;

/** EPIPE/EIO: the process exited or closed its input; that is the caller's precondition. */
function stdinError(e: Error & { code?: string }): never {
  if (e.code === "EPIPE" || e.code === "EIO") {
    throw failedPrecondition("the process no longer reads its stdin (it exited or closed it)", { cause: e });
  }
  throw e;
}

/** A process's stdin as the stdio channel fills it (lib/stdio-mux.ts receiveInto). */
function stdinSink(writer: () => FdWriter): StdioSink {
  return {
    writeNow: (bytes) => {
      try {
        return writer().writeNow(bytes);
      } catch (e) {
        return stdinError(e as Error);
      }
    },
    write: async (bytes) => writer().write(bytes).catch(stdinError),
  };
}

/** One readable fd, read by at most one consumer at a time; a pipe is closed at end of file. */
class OutputFd {
  private reader: ByteReader | undefined;
  private fdReader: FdReader | undefined;
  private recheckMs: number | undefined;
  private busy = false;
  private done = false;
  private waiting: ReadinessWait | undefined;

  /**
   * `charDevice`: a pty master, polled non-blocking (lib/fd-io.ts) and left open at end of file,
   * because TtyIo still owns it for writes and resizes until close(); else a pipe. `signal`: the
   * fd's SIGIO switch, shared with its writer (a pty master).
   */
  constructor(
    private fd: number,
    private readonly charDevice = false,
    private readonly signal?: OnDemandSignal,
  ) {}

  async *chunks(): AsyncGenerator<Uint8Array> {
    if (this.busy) throw failedPrecondition("this output is already being read by another stream");
    if (this.done) return;
    this.busy = true;
    try {
      if (!this.reader && this.charDevice) {
        this.fdReader = new FdReader(this.fd, this.signal);
        if (this.recheckMs) this.fdReader.recheckEvery(this.recheckMs);
      }
      this.reader ??= this.fdReader
        ? chunkReader(this.fdReader)
        : (Bun.file(this.fd).stream().getReader() as ByteReader);
      for (;;) {
        let chunk: Uint8Array | undefined;
        try {
          const r = await this.reader.read();
          chunk = r.done ? undefined : r.value;
        } catch {
          chunk = undefined; // a pty master reads EIO once the slave is gone: end of file
        }
        if (!chunk) break;
        yield chunk;
      }
      this.finish();
    } finally {
      this.busy = false;
    }
  }

  /**
   * Pipes only: send everything the process writes with `send` (no byte is read here) until end of
   * file, or until `send` says the receiver is gone (the pipe stays open for another reader then).
   */
  async splice(send: PipeSend): Promise<void> {
    if (this.charDevice) throw failedPrecondition("a terminal's output cannot be spliced");
    if (this.busy) throw failedPrecondition("this output is already being read by another stream");
    if (this.done) return;
    this.busy = true;
    const signal = this.signal ?? new OnDemandSignal(this.fd);
    try {
      while (!this.done) {
        const available = readableBytes(this.fd);
        if (available > 0) {
          signal.disarm(this);
          if ((await send(this.fd, available)) === 0) return;
          continue;
        }
        // Empty, and no writer left: end of file (bytes written before the last close come first).
        if (hungUp(this.fd) && readableBytes(this.fd) === 0) break;
        if (signal.arm(this)) continue; // written before it was armed: no signal said so
        // Registered with no await since the checks: the SIGIO of the next write cannot be missed.
        this.waiting = awaitReadiness();
        await this.waiting.promise;
        this.waiting = undefined;
      }
      this.done = true;
    } finally {
      this.busy = false;
      if (this.done) this.release();
    }
  }

  /** A pty master's end of file is not signalled: once its process exited, re-read on a timer. */
  recheckEvery(ms: number): void {
    this.recheckMs = ms;
    this.fdReader?.recheckEvery(ms);
  }

  finish(): void {
    this.done = true;
    void this.reader?.cancel();
    this.waiting?.wake();
    // A splice in progress names the fd: it is closed when that loop ends, never under it.
    if (!this.busy || this.reader) this.release();
  }

  private release(): void {
    if (this.fd < 0) return;
    if (!this.charDevice) closeFd(this.fd);
    this.fd = -1;
  }
}

export interface ProcessIo {
  readonly terminal: boolean;
  /** The fds runc hands to the process. */
  childStdio(): ChildStdio;
  /** Close the agent's copies of the child's ends once runc has them. */
  afterSpawn(): void;
  /** Terminal only: the pty master received from runc's console socket. */
  attachMaster(fd: number): void;
  output(name: OutputName): AsyncGenerator<Uint8Array>;
  /** Pipes only (`terminal` false): send an output with `send` instead of reading it (OutputFd.splice). */
  spliceOutput(name: OutputName, send: PipeSend): Promise<void>;
  /** Where the host's stdin stream is written (no write is made until it is used). */
  stdinSink(): StdioSink;
  closeStdin(): Promise<void>;
  resize(cols: number, rows: number): void;
  /** The process exited (its output may still be draining). */
  processExited(): void;
  /** Release every fd (on delete). */
  close(): void;
}

export class PipeIo implements ProcessIo {
  readonly terminal = false;
  private stdin: [number, number] | undefined;
  private readonly out: [number, number];
  private readonly err: [number, number];
  private readonly readers: Record<OutputName, OutputFd>;
  private stdinClosed = false;
  /** Non-blocking and signal-driven: a process that does not read its stdin must not stall the agent. */
  private stdinWriter: FdWriter | undefined;

  constructor(withStdin: boolean) {
    this.stdin = withStdin ? pipe() : undefined;
    this.out = pipe();
    this.err = pipe();
    // 1 MiB rather than 64 KiB: the agent takes up to 1 MiB per read of output when the process
    // writes faster than the host drains, and puts a whole stdio frame (256 KiB) into stdin in one
    // write instead of a wake-up per 4 KiB the process reads.
    for (const [readEnd] of [this.out, this.err]) setPipeSize(readEnd, PIPE_MAX_BYTES);
    if (this.stdin) setPipeSize(this.stdin[1], PIPE_MAX_BYTES);
    this.readers = { stdout: new OutputFd(this.out[0]), stderr: new OutputFd(this.err[0]) };
  }

  childStdio(): ChildStdio {
    return [this.stdin?.[0] ?? "ignore", this.out[1], this.err[1]];
  }

  afterSpawn(): void {
    closeFd(this.stdin?.[0] ?? -1);
    if (this.stdin) this.stdin[0] = -1;
    closeFd(this.out[1]);
    closeFd(this.err[1]);
    this.out[1] = -1;
    this.err[1] = -1;
  }

  attachMaster(): void {
    throw invalidArgument("this process has no terminal");
  }

  output(name: OutputName): AsyncGenerator<Uint8Array> {
    return this.readers[name].chunks();
  }

  spliceOutput(name: OutputName, send: PipeSend): Promise<void> {
    return this.readers[name].splice(send);
  }

  stdinSink(): StdioSink {
    return stdinSink(() => {
      if (!this.stdin || this.stdinClosed)
        throw failedPrecondition("this process's stdin is closed or was not opened");
      this.stdinWriter ??= new FdWriter(this.stdin[1]);
      return this.stdinWriter;
    });
  }

  async closeStdin(): Promise<void> {
    if (!this.stdin || this.stdinClosed) return;
    this.stdinClosed = true;
    this.stdinWriter?.finish();
    closeFd(this.stdin[1]);
  }

  resize(): void {
    throw failedPrecondition("this process has no terminal to resize");
  }

  /** A pipe's end of file is signalled when its last writer closes: nothing to do. */
  processExited(): void {}

  close(): void {
    this.afterSpawn();
    void this.closeStdin();
    this.readers.stdout.finish();
    this.readers.stderr.finish();
  }
}

const EOT = new Uint8Array([4]);

/** How often a pty whose process exited is re-read for its end of file (the kernel does not signal it). */
const PTY_EOF_RECHECK_MS = 100;

export class TtyIo implements ProcessIo {
  readonly terminal = true;
  private exited = false;
  private master = -1;
  private reader: OutputFd | undefined;
  private writer: FdWriter | undefined;

  childStdio(): ChildStdio {
    return ["ignore", "ignore", "ignore"];
  }

  afterSpawn(): void {}

  attachMaster(fd: number): void {
    this.master = fd;
    // Closed only in close(): a number closed early could be reused and get our writes.
    // The master is read and written: one SIGIO switch, armed while either side waits.
    const signal = new OnDemandSignal(fd);
    this.reader = new OutputFd(fd, true, signal);
    if (this.exited) this.reader.recheckEvery(PTY_EOF_RECHECK_MS);
    this.writer = new FdWriter(fd, signal);
  }

  spliceOutput(): Promise<void> {
    return Promise.reject(failedPrecondition("a terminal's output cannot be spliced: read it with output()"));
  }

  output(name: OutputName): AsyncGenerator<Uint8Array> {
    if (name === "stderr") return (async function* () {})(); // a terminal merges stderr into stdout
    if (!this.reader) throw failedPrecondition("the terminal is not attached yet");
    return this.reader.chunks();
  }

  stdinSink(): StdioSink {
    return stdinSink(() => {
      if (!this.writer) throw failedPrecondition("the terminal is not attached");
      return this.writer;
    });
  }

  /** A terminal has no separate stdin to close: send end-of-file (^D), as a user would. */
  async closeStdin(): Promise<void> {
    if (this.master >= 0)
      await this.stdinSink()
        .write(EOT)
        .catch(() => {});
  }

  resize(cols: number, rows: number): void {
    if (this.master < 0) throw failedPrecondition("the terminal is not attached");
    resizePty(this.master, cols, rows);
  }

  /** Children of the process may still hold the pty: its end of file is re-read until it comes. */
  processExited(): void {
    this.exited = true;
    this.reader?.recheckEvery(PTY_EOF_RECHECK_MS);
  }

  close(): void {
    this.writer?.finish();
    this.reader?.finish();
    closeFd(this.master);
    this.master = -1;
    this.writer = undefined;
  }
}
