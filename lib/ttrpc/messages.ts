// ttrpc's envelope messages (its request.proto plus google.rpc.Status), encoded with protobufjs.
// Only this file touches protobufjs types for the envelope; callers see plain objects.
import protobuf from "protobufjs";
import type { AnyMessage, Status } from "./status.ts";

const PROTO = `
syntax = "proto3";
package ttrpc;
message Any { string type_url = 1; bytes value = 2; }
message Status { int32 code = 1; string message = 2; repeated Any details = 3; }
message KeyValue { string key = 1; string value = 2; }
message Request {
  string service = 1;
  string method = 2;
  bytes payload = 3;
  int64 timeout_nano = 4;
  repeated KeyValue metadata = 5;
}
message Response { Status status = 1; bytes payload = 2; }
`;

const root = protobuf.parse(PROTO, { keepCase: false }).root;
const RequestType = root.lookupType("ttrpc.Request");
const ResponseType = root.lookupType("ttrpc.Response");

/** Metadata as ttrpc carries it: a list of key/value pairs (a key may repeat). */
export type Metadata = Record<string, string[]>;

export interface RequestMessage {
  service: string;
  method: string;
  payload: Uint8Array;
  /** 0 = no deadline. */
  timeoutNano: bigint;
  metadata: Metadata;
}

export interface ResponseMessage {
  status?: Status;
  payload: Uint8Array;
}

export function encodeRequest(r: RequestMessage): Uint8Array {
  const metadata = Object.entries(r.metadata).flatMap(([key, values]) =>
    values.map((value) => ({ key, value })),
  );
  return RequestType.encode(
    RequestType.fromObject({
      service: r.service,
      method: r.method,
      payload: r.payload,
      timeoutNano: r.timeoutNano.toString(),
      metadata,
    }),
  ).finish();
}

export function decodeRequest(bytes: Uint8Array): RequestMessage {
  const o = RequestType.toObject(RequestType.decode(bytes), {
    longs: String,
    bytes: Uint8Array,
    defaults: true,
  });
  const metadata: Metadata = {};
  for (const kv of o.metadata as { key: string; value: string }[]) {
    const key = kv.key.toLowerCase();
    metadata[key] = [...(metadata[key] ?? []), kv.value];
  }
  return {
    service: o.service,
    method: o.method,
    payload: o.payload,
    timeoutNano: BigInt(o.timeoutNano),
    metadata,
  };
}

export function encodeResponse(r: ResponseMessage): Uint8Array {
  return ResponseType.encode(
    ResponseType.fromObject({
      status: r.status && {
        code: r.status.code,
        message: r.status.message,
        details: r.status.details.map((d) => ({ typeUrl: d.typeUrl, value: d.value })),
      },
      payload: r.payload,
    }),
  ).finish();
}

export function decodeResponse(bytes: Uint8Array): ResponseMessage {
  const o = ResponseType.toObject(ResponseType.decode(bytes), { bytes: Uint8Array, defaults: true });
  const st = o.status as { code: number; message: string; details: AnyMessage[] } | undefined;
  return {
    status: st ? { code: st.code, message: st.message, details: st.details } : undefined,
    payload: o.payload,
  };
}
