// The Virtualization.framework channel: an AF_VSOCK listener on AGENT_VSOCK_PORT. Bun has no
// AF_VSOCK, so socket/bind/listen/accept go through libc; the listener is non-blocking and
// signal-driven (lib/sys/readiness.ts), so accepting never blocks the event loop and nothing runs
// until a host connects. Each accepted connection is one session.
import type { Duplex } from "node:stream";
import { logger } from "../../lib/log.ts";
import { check, closeFd, EAGAIN, errno, libc, SysError } from "../../lib/sys/libc.ts";
import { awaitReadiness, type ReadinessWait, setSignalDriven } from "../../lib/sys/readiness.ts";
import { FdDuplex } from "./fd-duplex.ts";
import type { ChannelKind, Serve, Transport } from "./types.ts";

const log = logger("agent");
export const AF_VSOCK = 40;
export const VMADDR_CID_ANY = 0xffffffff;
const SOCK_STREAM = 1;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;

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
  private closed = false;
  private waiting: ReadinessWait | undefined;
  private readonly conns = new Set<Duplex>();

  constructor(
    readonly port: number,
    private readonly kind: ChannelKind = "rpc",
  ) {
    this.name = `vsock:${port}`;
  }

  async start(serve: Serve): Promise<void> {
    const c = libc();
    this.fd = check("socket(AF_VSOCK)", c.socket(AF_VSOCK, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    const addr = sockaddrVm(this.port);
    check(`bind(vsock port ${this.port})`, c.bind(this.fd, addr, addr.length));
    check("listen", c.listen(this.fd, 16));
    setSignalDriven(this.fd);
    void this.acceptLoop(serve);
  }

  private async acceptLoop(serve: Serve): Promise<void> {
    while (!this.closed) {
      const conn = libc().accept4(this.fd, null, null, SOCK_CLOEXEC);
      if (conn < 0) {
        const e = errno();
        if (e !== EAGAIN) log.warn(new SysError("accept4(vsock)", e).message);
        this.waiting = awaitReadiness();
        await this.waiting.promise;
        continue;
      }
      const stream = new FdDuplex(conn, conn);
      this.conns.add(stream);
      stream.on("close", () => this.conns.delete(stream));
      stream.on("end", () => stream.destroy());
      serve(stream, this.kind);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.waiting?.wake();
    for (const s of this.conns) s.destroy();
    closeFd(this.fd);
    this.fd = -1;
  }
}
