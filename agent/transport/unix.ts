// `--listen unix:PATH`: for host tests and debugging. Every connection to PATH is an RPC session;
// every connection to PATH.stdio is a stdio channel.
import { rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { stdioSocketFor } from "../../lib/constants.ts";
import type { ChannelKind, Serve, Transport } from "./types.ts";

export class UnixTransport implements Transport {
  readonly name: string;
  private readonly servers: Server[] = [];
  private readonly sockets = new Set<Socket>();

  constructor(readonly path: string) {
    this.name = `unix:${path}`;
  }

  async start(serve: Serve): Promise<void> {
    for (const [path, kind] of [
      [this.path, "rpc"],
      [stdioSocketFor(this.path), "stdio"],
    ] as [string, ChannelKind][]) {
      rmSync(path, { force: true });
      const server = createServer((s) => {
        this.sockets.add(s);
        s.on("close", () => this.sockets.delete(s));
        serve(s, kind);
      });
      this.servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(path, resolve);
      });
    }
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await Promise.all(this.servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    rmSync(this.path, { force: true });
    rmSync(stdioSocketFor(this.path), { force: true });
  }
}
