// Readiness from the kernel, without polling: every fd runm reads or writes through lib/fd-io.ts
// is signal-driven while a call on it waits (O_ASYNC, owned by this process: OnDemandSignal), so
// the kernel sends SIGIO when one becomes readable or writable, or when its peer connects or hangs
// up. Bun runs the handler on its event loop; it wakes every waiter and each retries its
// non-blocking call. SIGIO does not say which fd, and pending signals coalesce, so a wake-up is a
// hint to retry, never a count; a waiter registers synchronously after its call failed with
// EAGAIN, so a signal that arrives in between is handled after the registration and cannot be
// missed.
//
// Two events have no SIGIO: a pty master's end of file (the kernel only wakes its poll queue when
// the slave closes) and room freed in a virtio-serial port's send queue. The first follows a
// process exit, so SIGCHLD wakes the waiters too (and a pty whose process has exited is re-read on
// a timer: FdReader.recheckEvery); the second is a write retried on a short backoff
// (lib/fd-io.ts). Nothing else runs on a timer: an idle fd costs nothing.
//
// Why not Bun's own I/O, epoll through bun:ffi, or worker threads: docs/ARCHITECTURE.md
// ("Event-driven I/O").

import { check, libc, PLATFORM, setFlags } from "./libc.ts";

type Waiter = () => void;

const waiters = new Set<Waiter>();
const childListeners = new Set<() => void>();
let installed = false;
let signals = 0;

function install(): void {
  if (installed) return;
  installed = true;
  process.on("SIGIO", () => {
    signals += 1;
    wakeAll();
  });
}

let childInstalled = false;

/** SIGCHLD is handled only where a reaper asked for it (the guest agent): hosts leave it to Bun. */
function installChild(): void {
  install();
  if (childInstalled) return;
  childInstalled = true;
  process.on("SIGCHLD", () => {
    for (const l of childListeners) l();
    wakeAll();
  });
}

function wakeAll(): void {
  const now = [...waiters];
  waiters.clear();
  for (const w of now) w();
}

export interface ReadinessWait {
  readonly promise: Promise<void>;
  /** Resolve it now (the caller stopped reading). */
  wake(): void;
}

/**
 * Resolves at the next SIGIO or SIGCHLD, at wake(), or after `timeoutMs` when given. Call it right
 * after the EAGAIN, with no await in between.
 */
export function awaitReadiness(timeoutMs?: number): ReadinessWait {
  install();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let wake!: () => void;
  const promise = new Promise<void>((resolve) => {
    wake = () => {
      clearTimeout(timer);
      waiters.delete(wake);
      resolve();
    };
  });
  waiters.add(wake);
  if (timeoutMs !== undefined) timer = setTimeout(wake, timeoutMs);
  return { promise, wake };
}

/** How many SIGIOs this process has handled (the idle-CPU checks read it). */
export function readinessSignals(): number {
  return signals;
}

/**
 * Run `fn` on every SIGCHLD (a child or a re-parented orphan changed state); returns the function
 * that stops it. The guest's reaper then calls waitpid for exactly the pids it watches.
 */
export function onChildExit(fn: () => void): () => void {
  installChild();
  childListeners.add(fn);
  return () => childListeners.delete(fn);
}

/**
 * SIGIO from one fd only while someone waits on it. O_ASYNC left on costs a signal per operation
 * of the peer, wanted or not: every read of a pipe signals its writers and every write its readers
 * (fs/pipe.c kill_fasync), so a container reading its stdin 4 KiB at a time sent the agent a
 * SIGIO per 4 KiB (a signal delivery and a JavaScript handler each, under TCG) while the agent
 * never waited, and the same per write of its output. So a caller arms the fd after a call failed
 * with EAGAIN, retries once (readiness that came before arming raised no signal), then waits; and
 * disarms it once a call succeeds. A reader and a writer of one fd (a virtio-serial port) share one
 * OnDemandSignal: it stays armed while either waits.
 */
export class OnDemandSignal {
  private readonly flags: number;
  private readonly waiting = new Set<object>();

  constructor(readonly fd: number) {
    install();
    check("fcntl(F_SETOWN)", libc().fcntl(fd, PLATFORM.F_SETOWN, process.pid));
    const flags = check("fcntl(F_GETFL)", libc().fcntl(fd, PLATFORM.F_GETFL, 0));
    this.flags = (flags | PLATFORM.O_NONBLOCK) & ~PLATFORM.O_ASYNC;
    if (flags !== this.flags) this.setFlags(this.flags);
  }

  /** `who` is about to wait: true when this armed the fd, and the caller must retry first. */
  arm(who: object): boolean {
    if (this.waiting.has(who)) return false;
    if (this.waiting.size === 0) this.setFlags(this.flags | PLATFORM.O_ASYNC);
    this.waiting.add(who);
    return true;
  }

  /** `who` no longer waits (its call succeeded). */
  disarm(who: object): void {
    if (!this.waiting.delete(who)) return;
    if (this.waiting.size === 0) this.setFlags(this.flags);
  }

  private setFlags(flags: number): void {
    // A closed fd (the owner finished under a waiter) has nothing left to signal.
    libc().fcntl(this.fd, PLATFORM.F_SETFL, flags);
  }
}

/**
 * One rule keeps signals from feeding themselves: every read of a pipe, even one that fails with
 * EAGAIN, signals the pipe's signal-driven writers (fs/pipe.c). So never arm a pipe or FIFO end
 * for writing in the process that also reads it without blocking (a FIFO opened O_RDWR is both):
 * each retry would signal the next. Sockets only signal room to a writer that ran out of it.
 *
 * Make `fd` non-blocking and signal-driven: the kernel sends this process SIGIO whenever it
 * becomes readable or writable or its peer connects or hangs up (pipes, FIFOs, ptys, sockets,
 * inotify and virtio-serial ports all support it). The handler is installed first: SIGIO's default
 * action ends the process.
 */
export function setSignalDriven(fd: number): void {
  install();
  check("fcntl(F_SETOWN)", libc().fcntl(fd, PLATFORM.F_SETOWN, process.pid));
  setFlags(fd, PLATFORM.O_NONBLOCK | PLATFORM.O_ASYNC);
}
