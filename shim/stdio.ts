// A process's host-side stdio as containerd hands it over: FIFO paths (ctr, nerdctl), a
// `binary://` logging driver or a `file://` log. Output from the agent's streams is written here;
// stdin is read from the stdin FIFO and streamed to the agent. Each FIFO is held open twice: a
// "keeper" fd (O_RDWR for output, O_WRONLY for stdin) so that opening never blocks, a missing reader
// (detached `ctr run -d`, before `ctr task attach`) is no error and ctr closing its end is no end
// of file; and the fd that moves the bytes, in one direction only, non-blocking and signal-driven
// (lib/fd-io.ts), so a stalled reader never blocks the shim and an idle FIFO costs nothing. (An
// O_RDWR fd that is signal-driven would signal itself on every read: lib/sys/readiness.ts.)
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, constants, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import type { Writable } from "node:stream";
import { invalidArgument } from "../lib/errors.ts";
import { FdReader, FdWriter } from "../lib/fd-io.ts";
import { logger } from "../lib/log.ts";
import { PIPE_MAX_BYTES, setPipeSize } from "../lib/sys/libc.ts";

const log = logger("shim");

export interface StdioPaths {
  stdin: string;
  stdout: string;
  stderr: string;
  terminal: boolean;
}

/** Where one output stream goes. */
export interface OutputSink {
  write(chunk: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

export interface HostIo {
  stdout?: OutputSink;
  stderr?: OutputSink;
  /** Bytes typed into the process, until closeStdin() or the FIFO's end. */
  stdin?: AsyncIterable<Uint8Array>;
  /** No more input: what is already in the FIFO still goes in, then stdin ends. */
  closeStdin(): void;
  /** Close stdout/stderr (at the process's end of output: readers such as ctr wait for EOF). */
  closeOutput(): Promise<void>;
  close(): Promise<void>;
}

/** How long closing waits for output nobody reads (ctr gone, FIFO full) before dropping it. */
const CLOSE_DRAIN_MS = 5000;

/**
 * Writes to a FIFO or file through fd-io (Bun's FileSink can hang on FIFOs); `keeper` is closed
 * with it.
 */
function fdSink(fd: number, keeper = -1): OutputSink {
  const writer = new FdWriter(fd);
  let closed = false;
  return {
    async write(chunk) {
      await writer.write(chunk).catch(() => {}); // closed under us: the output is dropped
    },
    async close() {
      if (closed) return;
      closed = true;
      await writer.drain(CLOSE_DRAIN_MS);
      writer.finish();
      // The last writer's close is what gives the reader (ctr) its end of file.
      for (const f of [fd, keeper].filter((f) => f >= 0)) {
        try {
          closeSync(f);
        } catch {}
      }
    },
  };
}

function streamSink(w: Writable): OutputSink {
  return {
    write: (chunk) =>
      new Promise((resolve) => {
        if (w.destroyed) return resolve();
        w.write(chunk, () => resolve());
      }),
    close: () => new Promise((resolve) => (w.destroyed ? resolve() : w.end(() => resolve()))),
  };
}

/**
 * A FIFO holds 1 MiB (Linux's default pipe-max-size) rather than 64 KiB: each wake-up of the shim
 * then moves up to a whole stdio frame (256 KiB) instead of what one write or read of the client
 * left (ctr's Go copy moves 32 KiB a time), and the guest, whose every frame costs under TCG, gets
 * fewer and fuller ones (stdin through `ctr run`: 9–11 → 18 MiB/s from this alone). macOS pipes
 * cannot be resized.
 */
function growFifo(fd: number): void {
  if (process.platform !== "linux") return;
  try {
    setPipeSize(fd, PIPE_MAX_BYTES);
  } catch (e) {
    log.debug(`FIFO fd ${fd} keeps its size: ${(e as Error).message}`);
  }
}

/** An output FIFO: opened for writing even when nobody reads it yet (see the file comment). */
function fifoSink(path: string): OutputSink {
  const keeper = openSync(path, constants.O_RDWR | constants.O_NONBLOCK);
  growFifo(keeper);
  return fdSink(openSync(path, constants.O_WRONLY | constants.O_NONBLOCK), keeper);
}

function fifoReader(path: string): { iterable: AsyncIterable<Uint8Array>; end(): void; close(): void } {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  const keeper = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
  growFifo(fd);
  const reader = new FdReader(fd);
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    reader.finish();
    for (const f of [fd, keeper]) {
      try {
        closeSync(f);
      } catch {}
    }
  };
  return {
    iterable: {
      async *[Symbol.asyncIterator]() {
        try {
          for (;;) {
            const chunk = await reader.read();
            if (chunk.length === 0) return; // end() or close(): we hold a write end, so no other end of file
            yield chunk;
          }
        } finally {
          close();
        }
      },
    },
    // CloseIO: the client wrote its last bytes into the FIFO before asking (ctr's stdin copy, CRI's
    // attach), and they may still wait there: they go to the process, then its stdin ends.
    end: () => reader.finishWhenDrained(),
    close,
  };
}

export interface IoIdentity {
  containerId: string;
  namespace: string;
}

/** Open the host side of a process's stdio. */
export async function openHostIo(p: StdioPaths, who: IoIdentity): Promise<HostIo> {
  const closers: (() => Promise<void> | void)[] = [];
  let stdout: OutputSink | undefined;
  let stderr: OutputSink | undefined;
  const uri = p.stdout.includes("://") ? new URL(p.stdout) : undefined;

  if (uri?.protocol === "binary:") {
    const child = await startLogBinary(uri, who);
    stdout = streamSink(child.stdio[3] as Writable);
    stderr = streamSink(child.stdio[4] as Writable);
    closers.push(
      () =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null) return resolve();
          child.once("exit", () => resolve());
          setTimeout(() => {
            if (child.pid && child.exitCode === null) process.kill(child.pid, "SIGKILL");
          }, 5000);
        }),
    );
  } else if (uri?.protocol === "file:") {
    mkdirSync(dirname(uri.pathname), { recursive: true });
    const fd = openSync(uri.pathname, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, 0o640);
    stdout = fdSink(fd);
    stderr = stdout;
  } else if (uri) {
    throw invalidArgument(`unsupported stdio URI ${p.stdout}`, {
      hint: "use a FIFO path, binary:// or file://",
    });
  } else {
    if (p.stdout) stdout = fifoSink(p.stdout);
    if (p.stderr && !p.terminal) stderr = fifoSink(p.stderr);
  }
  const input = p.stdin ? fifoReader(p.stdin) : undefined;
  let outputClosed: Promise<void> | undefined;
  const closeOutput = () => {
    outputClosed ??= (async () => {
      const sinks = new Set([stdout, stderr].filter((s): s is OutputSink => !!s));
      for (const s of sinks) await s.close();
      for (const c of closers) await c();
    })();
    return outputClosed;
  };

  return {
    stdout,
    stderr,
    stdin: input?.iterable,
    closeStdin: () => input?.end(),
    closeOutput,
    async close() {
      input?.close();
      await closeOutput();
    },
  };
}

/**
 * containerd's logging-binary protocol: the binary reads stdout on fd 3 and stderr on fd 4, and
 * closes fd 5 once it is ready; CONTAINER_ID / CONTAINER_NAMESPACE name the container.
 */
async function startLogBinary(uri: URL, who: IoIdentity): Promise<ChildProcess> {
  const args: string[] = [];
  for (const [k, v] of uri.searchParams) {
    args.push(k);
    if (v) args.push(v);
  }
  const child = spawn(uri.pathname, args, {
    stdio: ["ignore", "ignore", "ignore", "pipe", "pipe", "pipe"],
    env: { ...process.env, CONTAINER_ID: who.containerId, CONTAINER_NAMESPACE: who.namespace },
  });
  await new Promise<void>((resolve, reject) => {
    const ready = (child.stdio as unknown as (NodeJS.ReadableStream | null)[])[5];
    const timer = setTimeout(() => resolve(), 10_000);
    ready?.once("close", () => {
      clearTimeout(timer);
      resolve();
    });
    ready?.on("data", () => {});
    child.once("error", (e) => {
      clearTimeout(timer);
      reject(invalidArgument(`logging binary ${uri.pathname} failed to start: ${e.message}`));
    });
  });
  log.debug(`logging binary ${uri.pathname} ready`);
  return child;
}
