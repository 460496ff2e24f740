// The few libc calls Bun does not expose, through bun:ffi. Loaded lazily so that importing the
// agent's modules on a host without glibc (macOS unit tests) does not fail. Struct layouts below
// are those of LP64 Linux, identical on x86_64 and arm64.
import { dlopen, FFIType, read } from "bun:ffi";

const { i32, u64, ptr, u32 } = FFIType;

const symbols = {
  __errno_location: { args: [], returns: ptr },
  strerror: { args: [i32], returns: FFIType.cstring },
  prctl: { args: [i32, u64, u64, u64, u64], returns: i32 },
  waitpid: { args: [i32, ptr, i32], returns: i32 },
  pipe2: { args: [ptr, i32], returns: i32 },
  close: { args: [i32], returns: i32 },
  ioctl: { args: [i32, u64, ptr], returns: i32 },
  socket: { args: [i32, i32, i32], returns: i32 },
  bind: { args: [i32, ptr, u32], returns: i32 },
  listen: { args: [i32, i32], returns: i32 },
  accept4: { args: [i32, ptr, ptr, i32], returns: i32 },
  recvmsg: { args: [i32, ptr, i32], returns: FFIType.i64 },
  clock_settime: { args: [i32, ptr], returns: i32 },
  mount: { args: [ptr, ptr, ptr, u64, ptr], returns: i32 },
  fcntl: { args: [i32, i32, i32], returns: i32 },
} as const;

type Lib = ReturnType<typeof dlopen<typeof symbols>>["symbols"];
let lib: Lib | undefined;

export function libc(): Lib {
  lib ??= dlopen("libc.so.6", symbols).symbols;
  return lib;
}

export function errno(): number {
  const p = libc().__errno_location();
  return p ? read.i32(p, 0) : 0;
}

export const EAGAIN = 11;
export const ECHILD = 10;

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
const F_GETFL = 3;
const F_SETFL = 4;
const O_NONBLOCK = 0o4000; // same value on x86_64 and arm64

/** Make reads and writes on `fd` return EAGAIN instead of blocking. */
export function setNonBlocking(fd: number): void {
  const flags = check("fcntl(F_GETFL)", libc().fcntl(fd, F_GETFL, 0));
  check("fcntl(F_SETFL)", libc().fcntl(fd, F_SETFL, flags | O_NONBLOCK));
}

/** pipe2(O_CLOEXEC): [read end, write end]. CLOEXEC so only the child we hand them to keeps them. */
export function pipe(): [number, number] {
  const fds = new Int32Array(2);
  check("pipe2", libc().pipe2(fds, O_CLOEXEC));
  return [fds[0] ?? -1, fds[1] ?? -1];
}

export function closeFd(fd: number): void {
  if (fd >= 0) libc().close(fd);
}
