// The guest side of host-loopback ports: a listener on GUEST_HOST_LOOPBACK:PORT (an address on
// the guest's lo, set by /init) for each port the sandbox was given. Each accepted connection is
// announced to the host (ForwardHostPorts) and parked until the host opens a Tunnel for it; the
// bytes then cross the agent channel, so the VM's network never reaches the host at all.
import { randomBytes } from "node:crypto";
import { createServer, type Server, type Socket } from "node:net";
import { GUEST_HOST_LOOPBACK } from "../lib/constants.ts";
import { invalidArgument, notFound } from "../lib/errors.ts";
import { logger } from "../lib/log.ts";

const log = logger("agent");
/** A connection the host has not claimed within this is closed. */
const CLAIM_MS = 30_000;

export interface Forwarded {
  id: string;
  port: number;
}

export class HostPorts {
  private readonly parked = new Map<string, Socket>();

  /** Listen on each port; yields every accepted connection until `signal` aborts. */
  async *listen(ports: number[], signal: AbortSignal): AsyncGenerator<Forwarded> {
    for (const p of ports)
      if (!Number.isInteger(p) || p < 1 || p > 65535) throw invalidArgument(`bad port ${p}`);
    const queue: Forwarded[] = [];
    let wake: (() => void) | undefined;
    const servers: Server[] = [];
    const accept = (port: number) => (sock: Socket) => {
      const id = randomBytes(8).toString("hex");
      sock.pause();
      this.parked.set(id, sock);
      const unclaimed = setTimeout(() => this.parked.get(id)?.destroy(), CLAIM_MS);
      sock.once("close", () => {
        clearTimeout(unclaimed);
        if (this.parked.get(id) === sock) this.parked.delete(id);
      });
      queue.push({ id, port });
      wake?.();
    };
    try {
      for (const port of ports) {
        // allowHalfOpen: a guest that shuts down its sending side still gets the reply.
        const server = createServer({ allowHalfOpen: true }, accept(port));
        servers.push(server);
        await new Promise<void>((resolve, reject) => {
          server.once("error", reject);
          server.listen(port, GUEST_HOST_LOOPBACK, () => resolve());
        });
      }
      log.debug(`forwarding host-loopback ports ${ports.join(", ")}`);
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
