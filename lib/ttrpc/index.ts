// ttrpc for TypeScript: containerd's lightweight RPC over unix sockets. Wire: docs/WIRE.md.
export { type ClientStream, TtrpcClient } from "./client.ts";
export {
  encodeFrame,
  Flags,
  type Frame,
  FrameDecoder,
  HEADER_LENGTH,
  MAX_PAYLOAD,
  MessageType,
} from "./frame.ts";
export type { Metadata } from "./messages.ts";
export { TtrpcServer } from "./server.ts";
export { Code, type CodeName, fromStatus, type Status, TtrpcError, toStatus } from "./status.ts";
export type {
  CallContext,
  CallOptions,
  MethodHandler,
  ServerStream,
  StreamMethod,
  UnaryHandler,
} from "./types.ts";
