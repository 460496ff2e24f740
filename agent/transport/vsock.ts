// The Virtualization.framework channel: an AF_VSOCK listener on AGENT_VSOCK_PORT. Bun has no
// AF_VSOCK, so socket/bind/listen/accept go through libc; the listener is non-blocking and polled
// so that accepting never blocks the event loop. Each accepted connection is one session.
import type { Duplex } from "node:stream";
import { logger } from "../../lib/log.ts";
import { check, closeFd, EAGAIN, errno, libc, SysError } from "../sys/libc.ts";
import { FdDuplex } from "./fd-duplex.ts";
import type { Transport } from "./types.ts";

const log = logger("agent");
export const AF_VSOCK = 40;
export const VMADDR_CID_ANY = 0xffffffff;
const SOCK_STREAM = 1;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const ACCEPT_POLL_MS = 10;

/** struct sockaddr_vm: family u16, reserved u16, port u32, cid u32, flags u8, zero[3]. */
export function sockaddrVm(port: number, cid = VMADDR_CID_ANY): Uint8Array {
  const a = new Uint8Array(16);
  const v = new DataView(a.buffer);
  v.setUint16(0, AF_VSOCK, true);
  v.setUint32(4, port, true);
  v.setUint32(8, cid, true);
  return a;
}

export class VsockTransport implements Transport {
  readonly name: string;
  private fd = -1;
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly conns = new Set<Duplex>();

  constructor(readonly port: number) {
    this.name = `vsock:${port}`;
  }

  async start(serve: (stream: Duplex) => void): Promise<void> {
    const c = libc();
    this.fd = check("socket(AF_VSOCK)", c.socket(AF_VSOCK, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    const addr = sockaddrVm(this.port);
    check(`bind(vsock port ${this.port})`, c.bind(this.fd, addr, addr.length));
    check("listen", c.listen(this.fd, 16));
    this.timer = setInterval(() => {
      for (;;) {
        const conn = c.accept4(this.fd, null, null, SOCK_CLOEXEC); // blocking fd: plain writes
        if (conn < 0) {
          const e = errno();
          if (e !== EAGAIN) log.warn(new SysError("accept4(vsock)", e).message);
          return;
        }
        const stream = new FdDuplex(conn, conn);
        this.conns.add(stream);
        stream.on("close", () => this.conns.delete(stream));
        stream.on("end", () => stream.destroy());
        serve(stream);
      }
    }, ACCEPT_POLL_MS);
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    for (const s of this.conns) s.destroy();
    closeFd(this.fd);
    this.fd = -1;
  }
}
