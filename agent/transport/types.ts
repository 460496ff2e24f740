import type { Duplex } from "node:stream";

/**
 * Which channel a byte stream is: "rpc" carries one HTTP/2 session of the gRPC API; "stdio"
 * carries container output and input in frames (docs/WIRE.md "stdio channel").
 */
export type ChannelKind = "rpc" | "stdio";

export type Serve = (stream: Duplex, kind: ChannelKind) => void;

/** A source of byte streams: each host connection to either channel. */
export interface Transport {
  readonly name: string;
  /** Start accepting; calls `serve` for each stream. */
  start(serve: Serve): Promise<void>;
  close(): Promise<void>;
}
