// `--listen unix:PATH`: for host tests and debugging, every connection is a session.
import { rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { Transport } from "./types.ts";

export class UnixTransport implements Transport {
  readonly name: string;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(readonly path: string) {
    this.name = `unix:${path}`;
  }

  async start(serve: (stream: Duplex) => void): Promise<void> {
    rmSync(this.path, { force: true });
    this.server = createServer((s) => {
      this.sockets.add(s);
      s.on("close", () => this.sockets.delete(s));
      serve(s);
    });
    const server = this.server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.path, resolve);
    });
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    rmSync(this.path, { force: true });
  }
}
