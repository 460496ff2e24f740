// The host's end of the agent channel, owned by the host: every socket grpc-js opens for one
// AgentClient is recorded here, and `destroy()` closes them at once.
//
// Why: grpc-js's own close is graceful (its HTTP/2 session waits for the peer) and its global
// subchannel pool shares and keeps connections for up to 10 s. Measured: a connection whose peer
// never spoke HTTP/2 (QEMU accepts the socket while the guest's agent is still booting, and the
// first Hello deadlines expire there) stayed open > 25 s after close(). A template snapshotted
// meanwhile records the agent port as host-connected and every clone hangs, so close has to mean
// closed. grpc-js hands each new socket to its credentials' connector: an insecure connector that
// keeps a reference, and is equal only to itself (no connection shared with another client).
import type { Socket } from "node:net";
import { ChannelCredentials, credentials } from "@grpc/grpc-js";

type Connector = ReturnType<ChannelCredentials["_createSecureConnector"]>;

export class OwnedConnection extends ChannelCredentials {
  private readonly insecure = credentials.createInsecure();
  private readonly sockets = new Set<Socket>();
  private destroyed = false;

  _isSecure(): boolean {
    return false;
  }

  _equals(other: ChannelCredentials): boolean {
    return other === this;
  }

  _createSecureConnector(...args: Parameters<ChannelCredentials["_createSecureConnector"]>): Connector {
    const inner = this.insecure._createSecureConnector(...args);
    return {
      connect: (socket) => {
        if (this.destroyed) {
          socket.destroy();
          return Promise.reject(new Error("the agent client is closed"));
        }
        this.sockets.add(socket);
        socket.once("close", () => this.sockets.delete(socket));
        return inner.connect(socket);
      },
      waitForReady: () => inner.waitForReady(),
      getCallCredentials: () => inner.getCallCredentials(),
      destroy: () => inner.destroy(),
    };
  }

  /** Close every socket now, and any grpc-js opens later (a reconnect racing the close). */
  destroy(): void {
    this.destroyed = true;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }
}
