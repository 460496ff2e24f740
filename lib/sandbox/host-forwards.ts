// The host side of the sandbox's forwards to the host. Two kinds, one mechanism: the guest agent
// accepts a connection (to GUEST_HOST_LOOPBACK:PORT for the host-loopback annotation, or to the
// guest socket that stands for a host unix socket bound into the container), and each is
// tunnelled over the agent channel to a fresh connection made here: to 127.0.0.1:PORT, or to the
// host socket. Nothing else of the host is reachable, no process is spawned for it, and the VM's
// devices stay those of its template.
import { connect } from "node:net";
import type { AgentClient } from "../agent-client/index.ts";
import { messageOf } from "../errors.ts";
import { logger } from "../log.ts";

const log = logger("sandbox");

/** A host unix socket bound into the container: the guest socket at `guestPath` stands for it. */
export interface SocketBind {
  hostPath: string;
  guestPath: string;
  /** The host socket's permission bits and owner, given to the guest socket. */
  mode: number;
  uid: number;
  gid: number;
}

export interface HostForwards {
  close(): void;
}

/** Start forwarding; resolves once the guest listens on every port and socket. */
export async function forwardToHost(
  agent: AgentClient,
  ports: number[],
  sockets: SocketBind[],
): Promise<HostForwards> {
  const stop = new AbortController();
  const listening = Promise.withResolvers<void>();
  const hostSocket = new Map(sockets.map((s) => [s.guestPath, s.hostPath]));
  const guestSockets = sockets.map(({ guestPath, mode, uid, gid }) => ({ path: guestPath, mode, uid, gid }));
  void (async () => {
    for await (const c of agent.forwardHostPorts(ports, guestSockets, stop.signal, listening.resolve)) {
      const target = c.socket ? hostSocket.get(c.socket) : undefined;
      const what = c.socket ? `socket ${target ?? c.socket}` : `host-loopback ${c.port}`;
      if (c.socket && !target) {
        // Not one the host asked for (a guest that lies): left unclaimed, the agent drops it.
        log.warn(`the guest announced a connection to an unknown socket ${JSON.stringify(c.socket)}`);
        continue;
      }
      const sock = target
        ? connect({ path: target, allowHalfOpen: true })
        : connect({ host: "127.0.0.1", port: c.port, allowHalfOpen: true });
      sock.once("connect", () => {
        agent.tunnel(c.id, sock).catch((e) => log.debug(`${what}: ${messageOf(e)}`));
      });
      sock.once("error", (e) => {
        log.debug(`${what}: ${e.message}`);
        // Claim it anyway so the guest side closes at once instead of waiting to be claimed.
        agent.tunnel(c.id, sock).catch(() => {});
      });
    }
  })().catch((e) => {
    listening.reject(e);
    if (!stop.signal.aborted) log.warn(`forwarding to the host ended: ${messageOf(e)}`);
  });
  await listening.promise;
  return { close: () => stop.abort() };
}
