import type { Duplex } from "node:stream";

/** A source of byte streams, each served as one HTTP/2 session. */
export interface Transport {
  readonly name: string;
  /** Start accepting; calls `serve` for each stream. */
  start(serve: (stream: Duplex) => void): Promise<void>;
  close(): Promise<void>;
}
