// The few libc calls Bun does not expose, through bun:ffi, for the guest agent and the host alike.
// Loaded lazily so that importing a module that uses it costs nothing until the first call.
// Struct layouts are LP64 Linux's (identical on x86_64 and arm64); the flag numbers that differ on
// macOS (the shim's FIFOs there) come from PLATFORM below.
import { ptr as addressOf, dlopen, FFIType, read } from "bun:ffi";

const { i32, u64, ptr, u32 } = FFIType;

const symbols = {
  strerror: { args: [i32], returns: FFIType.cstring },
  getpid: { args: [], returns: i32 },
  prctl: { args: [i32, u64, u64, u64, u64], returns: i32 },
  waitpid: { args: [i32, ptr, i32], returns: i32 },
  pipe2: { args: [ptr, i32], returns: i32 },
  close: { args: [i32], returns: i32 },
  ioctl: { args: [i32, u64, ptr], returns: i32 },
  socket: { args: [i32, i32, i32], returns: i32 },
  socketpair: { args: [i32, i32, i32, ptr], returns: i32 },
  bind: { args: [i32, ptr, u32], returns: i32 },
  listen: { args: [i32, i32], returns: i32 },
  accept4: { args: [i32, ptr, ptr, i32], returns: i32 },
  recvmsg: { args: [i32, ptr, i32], returns: FFIType.i64 },
  clock_settime: { args: [i32, ptr], returns: i32 },
  mount: { args: [ptr, ptr, ptr, u64, ptr], returns: i32 },
  umount2: { args: [ptr, i32], returns: i32 },
  fcntl: { args: [i32, i32, i32], returns: i32 },
  poll: { args: [ptr, u64, i32], returns: i32 },
  flock: { args: [i32, i32], returns: i32 },
  inotify_init1: { args: [i32], returns: i32 },
  inotify_add_watch: { args: [i32, ptr, u32], returns: i32 },
  splice: { args: [i32, ptr, i32, ptr, u64, u32], returns: FFIType.i64 },
  readv: { args: [i32, ptr, i32], returns: FFIType.i64 },
  syscall: { args: [FFIType.i64, FFIType.i64, FFIType.i64, FFIType.i64, FFIType.i64], returns: FFIType.i64 },
} as const;

const darwin = process.platform === "darwin";

/** The flag numbers that are not the same on Linux and macOS. */
export const PLATFORM = darwin
  ? { O_NONBLOCK: 0x4, O_ASYNC: 0x40, F_GETFL: 3, F_SETFL: 4, F_SETOWN: 6, EAGAIN: 35 }
  : { O_NONBLOCK: 0o4000, O_ASYNC: 0o20000, F_GETFL: 3, F_SETFL: 4, F_SETOWN: 8, EAGAIN: 11 };

type Lib = ReturnType<typeof dlopen<typeof symbols>>["symbols"];
let lib: Lib | undefined;
let errnoLocation: (() => number | null) | undefined;

export function libc(): Lib {
  if (!lib) {
    // macOS has no accept4/pipe2/prctl/...: only the symbols it has are bound there (fcntl, flock).
    const wanted = darwin
      ? Object.fromEntries(
          Object.entries(symbols).filter(([k]) =>
            ["strerror", "getpid", "fcntl", "flock", "close", "readv"].includes(k),
          ),
        )
      : symbols;
    lib = dlopen(darwin ? "libSystem.B.dylib" : "libc.so.6", wanted).symbols as Lib;
    const loc = dlopen(darwin ? "libSystem.B.dylib" : "libc.so.6", {
      [darwin ? "__error" : "__errno_location"]: { args: [], returns: ptr },
    }).symbols;
    errnoLocation = Object.values(loc)[0] as () => number | null;
  }
  return lib;
}

export function errno(): number {
  libc();
  const p = errnoLocation?.();
  return p ? read.i32(p, 0) : 0;
}

export const EAGAIN = PLATFORM.EAGAIN;
export const ECHILD = 10;
export const EINTR = 4;
export const EIO = 5;
export const EBADF = 9;

export class SysError extends Error {
  constructor(
    readonly call: string,
    readonly errno: number,
  ) {
    super(`${call}: ${String(libc().strerror(errno))} (errno ${errno})`);
  }
}

/** Throw SysError when a libc call returned -1. */
export function check(call: string, rc: number | bigint): number {
  if (Number(rc) < 0) throw new SysError(call, errno());
  return Number(rc);
}

export const O_CLOEXEC = 0o2000000;

export function setFlags(fd: number, add: number): void {
  const { F_GETFL, F_SETFL } = PLATFORM;
  const flags = check("fcntl(F_GETFL)", libc().fcntl(fd, F_GETFL, 0));
  if ((flags & add) !== add) check("fcntl(F_SETFL)", libc().fcntl(fd, F_SETFL, flags | add));
}

/** Make reads and writes on `fd` return EAGAIN instead of blocking. */
export function setNonBlocking(fd: number): void {
  setFlags(fd, PLATFORM.O_NONBLOCK);
}

/** pipe2(O_CLOEXEC): [read end, write end]. CLOEXEC so only the child we hand them to keeps them. */
export function pipe(): [number, number] {
  const fds = new Int32Array(2);
  check("pipe2", libc().pipe2(fds, O_CLOEXEC));
  return [fds[0] ?? -1, fds[1] ?? -1];
}

/** Linux's default pipe-max-size: the largest pipe an unprivileged process may ask for. */
export const PIPE_MAX_BYTES = 1024 * 1024;

/**
 * Grow a pipe's buffer (Linux F_SETPIPE_SZ) to `bytes`; returns the size the kernel gave. A bigger
 * pipe lets its reader take more per wake-up, which is what a reader whose every read costs (the
 * agent's JavaScript under TCG) needs.
 */
export function setPipeSize(fd: number, bytes: number): number {
  const F_SETPIPE_SZ = 1031;
  return check("fcntl(F_SETPIPE_SZ)", libc().fcntl(fd, F_SETPIPE_SZ, bytes));
}

/** A connected pair of AF_UNIX stream sockets (CLOEXEC). */
export function socketPair(): [number, number] {
  const fds = new Int32Array(2);
  const AF_UNIX = 1;
  const SOCK_STREAM = 1;
  check("socketpair", libc().socketpair(AF_UNIX, SOCK_STREAM | O_CLOEXEC, 0, fds));
  return [fds[0] ?? -1, fds[1] ?? -1];
}

export function closeFd(fd: number): void {
  if (fd >= 0) libc().close(fd);
}

/** How many bytes wait to be read in a pipe or socket (FIONREAD; the same number on x86_64 and arm64). */
export function readableBytes(fd: number): number {
  const FIONREAD = 0x541b;
  const n = new Int32Array(1);
  check("ioctl(FIONREAD)", libc().ioctl(fd, FIONREAD, n));
  return n[0] ?? 0;
}

/**
 * splice(2) up to `n` bytes from pipe `fromPipe` into `to` without blocking and without the bytes
 * passing through this process (the kernel moves the pipe's pages). Returns the bytes moved, or
 * "again" when `to` has no room now.
 */
export function splicePipe(fromPipe: number, to: number, n: number): number | "again" {
  const SPLICE_F_MOVE = 1;
  const SPLICE_F_NONBLOCK = 2;
  for (;;) {
    const rc = Number(libc().splice(fromPipe, null, to, null, n, SPLICE_F_MOVE | SPLICE_F_NONBLOCK));
    if (rc >= 0) return rc;
    const e = errno();
    if (e === EAGAIN) return "again";
    if (e !== EINTR) throw new SysError("splice", e);
  }
}

/**
 * An iovec array (struct iovec { void *base; size_t len; }) cutting `buf` into `piece`-byte
 * pieces, for readInto. `buf` must outlive it (its address is taken once).
 */
export function iovecs(buf: Uint8Array, piece: number): BigUint64Array {
  const count = Math.floor(buf.length / piece);
  const v = new BigUint64Array(count * 2);
  const base = BigInt(addressOf(buf));
  for (let i = 0; i < count; i++) {
    v[2 * i] = base + BigInt(i * piece);
    v[2 * i + 1] = BigInt(piece);
  }
  return v;
}

/**
 * readv(2) into the buffer behind `iov` (iovecs) without blocking: bytes read, 0 at end of file,
 * "again" when nothing is readable now. A failure throws SysError.
 *
 * Why a vector of pages: a virtio-serial port hands out one receive buffer (a page) per read(2),
 * and a driver without read_iter serves readv as one read per iovec, going on while each is filled
 * whole. So one call takes up to every page the port holds, where read(2) would take one per call,
 * each with the JavaScript around it (the cost under TCG). Pipes, FIFOs, sockets and ptys fill the
 * vector as one buffer.
 */
export function readInto(fd: number, iov: BigUint64Array): number | "again" {
  for (;;) {
    const rc = Number(libc().readv(fd, iov, iov.length / 2));
    if (rc >= 0) return rc;
    const e = errno();
    if (e === EAGAIN) return "again";
    if (e !== EINTR) throw new SysError("read", e);
  }
}

const POLLHUP = 0x10;

/** poll(2) with a zero timeout: whether `fd` reports a hang-up now (never blocks). */
export function hungUp(fd: number): boolean {
  // struct pollfd { int fd; short events; short revents; }
  const p = new Int32Array([fd, 0]);
  while (libc().poll(p, 1, 0) < 0) {
    const e = errno();
    if (e !== EINTR) throw new SysError("poll", e); // EINTR: a signal (SIGIO) came in; ask again
  }
  return (((p[1] ?? 0) >>> 16) & POLLHUP) !== 0;
}

/** A NUL-terminated C string for a path or name argument. */
export const cstr = (s: string) => new TextEncoder().encode(`${s}\0`);
