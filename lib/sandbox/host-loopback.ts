// The host side of host-loopback ports (the host-loopback annotation): the guest agent accepts
// connections to GUEST_HOST_LOOPBACK:PORT in the VM, and each is tunnelled over the agent channel
// to a fresh connection to this host's 127.0.0.1:PORT. Nothing else of the host is reachable, no
// process is spawned for it, and the VM's devices stay those of its template.
import { connect } from "node:net";
import type { AgentClient } from "../agent-client/index.ts";
import { messageOf } from "../errors.ts";
import { logger } from "../log.ts";

const log = logger("sandbox");

export interface HostLoopback {
  close(): void;
}

/** Start forwarding; resolves once the guest listens on every port. */
export async function forwardHostLoopback(agent: AgentClient, ports: number[]): Promise<HostLoopback> {
  const stop = new AbortController();
  const listening = Promise.withResolvers<void>();
  void (async () => {
    for await (const c of agent.forwardHostPorts(ports, stop.signal, listening.resolve)) {
      const sock = connect({ host: "127.0.0.1", port: c.port, allowHalfOpen: true });
      sock.once("connect", () => {
        agent.tunnel(c.id, sock).catch((e) => log.debug(`host-loopback ${c.port}: ${messageOf(e)}`));
      });
      sock.once("error", (e) => {
        log.debug(`host-loopback ${c.port}: ${e.message}`);
        // Claim it anyway so the guest side closes at once instead of waiting to be claimed.
        agent.tunnel(c.id, sock).catch(() => {});
      });
    }
  })().catch((e) => {
    listening.reject(e);
    if (!stop.signal.aborted) log.warn(`host-loopback forwarding ended: ${messageOf(e)}`);
  });
  await listening.promise;
  return { close: () => stop.abort() };
}
