// runc's --console-socket: runc connects to an AF_UNIX socket and sends the pty master as an
// SCM_RIGHTS message. Bun's sockets cannot receive file descriptors, so this listens, accepts and
// calls recvmsg through libc. The sockets are non-blocking and signal-driven (lib/sys/readiness.ts):
// a slow runc (about 1 s under TCG) never blocks the event loop that serves gRPC, and nothing is
// retried until the kernel says the connection or the message arrived (or runc exited: SIGCHLD).
import { ptr } from "bun:ffi";
import { rmSync } from "node:fs";
import { internal } from "../../lib/errors.ts";
import { check, closeFd, EAGAIN, errno, libc, SysError } from "../../lib/sys/libc.ts";
import { awaitReadiness, type ReadinessWait, setSignalDriven } from "../../lib/sys/readiness.ts";

const AF_UNIX = 1;
const SOCK_STREAM = 1;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SCM_RIGHTS = 1;

/** struct sockaddr_un for `path` (sun_path is 108 bytes, NUL terminated). */
export function sockaddrUn(path: string): Uint8Array {
  const bytes = new TextEncoder().encode(path);
  if (bytes.length > 107) throw internal(`socket path too long (${bytes.length} > 107): ${path}`);
  const addr = new Uint8Array(110);
  new DataView(addr.buffer).setUint16(0, AF_UNIX, true);
  addr.set(bytes, 2);
  return addr;
}

/** Build a msghdr (56 bytes on LP64) pointing at one iovec and a control buffer. */
function msghdr(iov: BigUint64Array, control: Uint8Array): Uint8Array {
  const m = new Uint8Array(56);
  const v = new DataView(m.buffer);
  v.setBigUint64(16, BigInt(ptr(iov)), true); // msg_iov
  v.setBigUint64(24, 1n, true); // msg_iovlen
  v.setBigUint64(32, BigInt(ptr(control)), true); // msg_control
  v.setBigUint64(40, BigInt(control.length), true); // msg_controllen
  return m;
}

/** The first fd in an SCM_RIGHTS control message, or -1. */
export function fdFromControl(control: Uint8Array, controllen: number): number {
  const v = new DataView(control.buffer, control.byteOffset, control.byteLength);
  if (controllen < 20) return -1;
  const level = v.getInt32(8, true);
  const type = v.getInt32(12, true);
  return level === SOL_SOCKET && type === SCM_RIGHTS ? v.getInt32(16, true) : -1;
}

/** Buffers a pending recvmsg points into: referenced here for as long as it may write them. */
const pinned = new Set<object>();

export class ConsoleSocket {
  private waiting: ReadinessWait | undefined;

  private constructor(
    readonly path: string,
    private fd: number,
  ) {}

  /** Listen on `path` (removed first if stale). */
  static listen(path: string): ConsoleSocket {
    rmSync(path, { force: true });
    const c = libc();
    const fd = check("socket", c.socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    try {
      const addr = sockaddrUn(path);
      check("bind", c.bind(fd, addr, addr.length));
      check("listen", c.listen(fd, 1));
      setSignalDriven(fd);
    } catch (e) {
      closeFd(fd);
      throw e;
    }
    return new ConsoleSocket(path, fd);
  }

  /**
   * Wait for runc to send the pty master; resolves with its fd. `gaveUp` is polled between tries
   * (e.g. "runc already exited"), and rejects the wait when it returns an error.
   */
  async receiveMaster(gaveUp: () => Error | undefined): Promise<number> {
    const conn = await this.retryUntil(
      () => libc().accept4(this.fd, null, null, SOCK_NONBLOCK | SOCK_CLOEXEC),
      "accept4",
      gaveUp,
    );
    setSignalDriven(conn);
    // msghdr holds raw pointers to these buffers, which the GC cannot see: they must stay
    // referenced across the polling awaits, or one collected in between makes recvmsg fail with
    // EFAULT ("Bad address": once in a full test run, a tty exec failed so).
    const bufs = { data: new Uint8Array(4096), control: new Uint8Array(64) };
    const iov = new BigUint64Array([BigInt(ptr(bufs.data)), BigInt(bufs.data.length)]);
    const keep = { ...bufs, iov };
    pinned.add(keep);
    try {
      const m = msghdr(iov, bufs.control);
      await this.retryUntil(() => Number(libc().recvmsg(conn, m, 0)), "recvmsg", gaveUp);
      const controllen = Number(new DataView(m.buffer).getBigUint64(40, true));
      const fd = fdFromControl(bufs.control, controllen);
      if (fd < 0) throw internal("runc's console socket message carried no file descriptor");
      return fd;
    } finally {
      pinned.delete(keep);
      closeFd(conn);
    }
  }

  /** Re-check now (`gaveUp` may have changed: runc exited). */
  wake(): void {
    this.waiting?.wake();
  }

  close(): void {
    closeFd(this.fd);
    this.fd = -1;
    rmSync(this.path, { force: true });
  }

  /** Retry a non-blocking call at each readiness signal until it succeeds or `gaveUp` says stop. */
  private async retryUntil(
    call: () => number,
    name: string,
    gaveUp: () => Error | undefined,
  ): Promise<number> {
    for (;;) {
      const r = call();
      if (r >= 0) return r;
      const e = errno();
      if (e !== EAGAIN) throw new SysError(name, e);
      const err = gaveUp();
      if (err) throw err;
      this.waiting = awaitReadiness();
      await this.waiting.promise;
      this.waiting = undefined;
    }
  }
}
