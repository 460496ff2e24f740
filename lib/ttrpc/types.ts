// The public shapes of ttrpc services: handlers see bytes plus a call context; typed layers
// (lib/containerd/protos.ts) wrap these with protobuf message types.
import type { Metadata } from "./messages.ts";

export interface CallContext {
  service: string;
  method: string;
  metadata: Metadata;
  /** Absolute deadline in ms since the epoch, from the request's timeout_nano (undefined = none). */
  deadline?: number;
  /** Aborted when the deadline passes or the connection closes. */
  signal: AbortSignal;
}

export type UnaryHandler = (payload: Uint8Array, ctx: CallContext) => Promise<Uint8Array> | Uint8Array;

/** Server side of a streaming call. */
export interface ServerStream {
  /** Next message from the client; null once the client closed its side. */
  recv(): Promise<Uint8Array | null>;
  /** Send one message to the client (server streaming); resolves when written. */
  send(payload: Uint8Array): Promise<void>;
}

export interface StreamMethod {
  clientStreaming: boolean;
  serverStreaming: boolean;
  /** Returns the final response payload (client streaming only) or nothing. */
  handler(stream: ServerStream, ctx: CallContext): Promise<Uint8Array | undefined>;
}

export type MethodHandler = UnaryHandler | StreamMethod;

export interface CallOptions {
  /** Deadline as a timeout in ms; sent as timeout_nano and enforced locally too. */
  timeoutMs?: number;
  metadata?: Metadata;
  signal?: AbortSignal;
}
