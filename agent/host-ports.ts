// The guest side of host forwards: a listener on GUEST_HOST_LOOPBACK:PORT (an address on the
// guest's lo, set by /init) for each host-loopback port the sandbox was given, and a unix socket
// under GUEST_SOCKET_ROOT for each host unix socket bound into a container (with the host
// socket's mode and owner, so the container's users get the access they would get on the host).
// Each accepted connection is announced to the host (ForwardHostPorts) and parked until the host
// opens a Tunnel for it; the bytes then cross the agent channel, so the VM's network never
// reaches the host at all.
import { randomBytes } from "node:crypto";
import { chmodSync, chownSync, mkdirSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { GUEST_HOST_LOOPBACK, GUEST_SOCKET_ROOT } from "../lib/constants.ts";
import { invalidArgument, notFound } from "../lib/errors.ts";
import { logger } from "../lib/log.ts";
import type { GuestSocket } from "../lib/proto/wire.ts";

const log = logger("agent");
/** A connection the host has not claimed within this is closed. */
const CLAIM_MS = 30_000;

export interface Forwarded {
  id: string;
  /** The host-loopback port, or 0 for a socket. */
  port: number;
  /** The guest socket's path, or "" for a port. */
  socket: string;
}

/** Only runm's own socket names: sN.sock directly under GUEST_SOCKET_ROOT. */
const SOCKET_PATH = new RegExp(`^${GUEST_SOCKET_ROOT}/s[0-9]{1,4}\\.sock$`);

export class HostPorts {
  private readonly parked = new Map<string, Socket>();

  /** Listen on each port and socket; yields every accepted connection until `signal` aborts. */
  async *listen(ports: number[], sockets: GuestSocket[], signal: AbortSignal): AsyncGenerator<Forwarded> {
    for (const p of ports)
      if (!Number.isInteger(p) || p < 1 || p > 65535) throw invalidArgument(`bad port ${p}`);
    for (const s of sockets)
      if (!SOCKET_PATH.test(s.path)) throw invalidArgument(`bad guest socket path ${JSON.stringify(s.path)}`);
    const queue: Forwarded[] = [];
    let wake: (() => void) | undefined;
    const servers: Server[] = [];
    const accept = (port: number, socket: string) => (sock: Socket) => {
      const id = randomBytes(8).toString("hex");
      sock.pause();
      this.parked.set(id, sock);
      const unclaimed = setTimeout(() => this.parked.get(id)?.destroy(), CLAIM_MS);
      sock.once("close", () => {
        clearTimeout(unclaimed);
        if (this.parked.get(id) === sock) this.parked.delete(id);
      });
      queue.push({ id, port, socket });
      wake?.();
    };
    try {
      for (const port of ports) {
        // allowHalfOpen: a guest that shuts down its sending side still gets the reply.
        const server = createServer({ allowHalfOpen: true }, accept(port, ""));
        servers.push(server);
        await new Promise<void>((resolve, reject) => {
          server.once("error", reject);
          server.listen(port, GUEST_HOST_LOOPBACK, () => resolve());
        });
      }
      if (sockets.length) mkdirSync(GUEST_SOCKET_ROOT, { recursive: true, mode: 0o755 });
      for (const s of sockets) {
        rmSync(s.path, { force: true });
        const server = createServer({ allowHalfOpen: true }, accept(0, s.path));
        servers.push(server);
        await new Promise<void>((resolve, reject) => {
          server.once("error", reject);
          server.listen(s.path, () => resolve());
        });
        chownSync(s.path, s.uid, s.gid);
        chmodSync(s.path, s.mode & 0o777);
      }
      log.debug(
        `forwarding host-loopback ports [${ports.join(", ")}], sockets [${sockets.map((s) => s.path).join(", ")}]`,
      );
      const aborted = new Promise<void>((r) => signal.addEventListener("abort", () => r(), { once: true }));
      while (!signal.aborted) {
        const next = queue.shift();
        if (next) {
          yield next;
          continue;
        }
        await Promise.race([new Promise<void>((r) => (wake = r)), aborted]);
        wake = undefined;
      }
    } finally {
      for (const s of servers) s.close();
      for (const s of sockets) rmSync(s.path, { force: true });
    }
  }

  /** The parked connection `id`, now the caller's. */
  claim(id: string): Socket {
    const sock = this.parked.get(id);
    if (!sock) throw notFound(`no forwarded connection ${id}`);
    this.parked.delete(id);
    return sock;
  }

  close(): void {
    for (const s of this.parked.values()) s.destroy();
    this.parked.clear();
  }
}
