// Turns lib/proto/agent.proto into a grpc-js ServiceDefinition at load time with protobufjs (no
// code generation step: the .proto is the single source). Only agent/server and lib/agent-client
// import this module; everything else sees plain TypeScript types.
import type { MethodDefinition, ServiceDefinition } from "@grpc/grpc-js";
import protobuf from "protobufjs";
import protoText from "./agent.proto" with { type: "text" };

export const AGENT_PACKAGE = "runm.agent.v1";
export const AGENT_SERVICE = `${AGENT_PACKAGE}.Agent`;

const CONVERSION: protobuf.IConversionOptions = { longs: Number, defaults: true, arrays: true };

export const agentRoot: protobuf.Root = protobuf.parse(protoText, { keepCase: false }).root;

function codec(type: protobuf.Type) {
  return {
    serialize: (value: object): Buffer => Buffer.from(type.encode(type.fromObject(value)).finish()),
    deserialize: (bytes: Buffer): object => type.toObject(type.decode(bytes), CONVERSION),
  };
}

/**
 * Messages that are a single `bytes data = 1` field (OutputChunk) carry all stdio, so they skip
 * protobufjs's object conversion: the wire form is tag 0x0a, a varint length, the bytes.
 */
export const bytesOnlyCodec = {
  serialize: (value: { data?: Uint8Array }): Buffer => {
    const data = value.data ?? new Uint8Array(0);
    if (data.length === 0) return Buffer.alloc(0);
    const head: number[] = [0x0a];
    for (let n = data.length; ; n = Math.floor(n / 128)) {
      if (n < 128) {
        head.push(n);
        break;
      }
      head.push((n % 128) | 128);
    }
    const out = Buffer.allocUnsafe(head.length + data.length);
    out.set(head, 0);
    out.set(data, head.length);
    return out;
  },
  deserialize: (bytes: Buffer): { data: Uint8Array } => {
    if (bytes.length === 0) return { data: new Uint8Array(0) };
    // Anything but exactly field 1 (a newer peer adding fields): the generic decoder.
    if (bytes[0] !== 0x0a) return outputChunkFallback?.(bytes) as { data: Uint8Array };
    let len = 0;
    let shift = 1;
    let i = 1;
    for (;;) {
      const b = bytes[i++] ?? 0;
      len += (b & 127) * shift;
      if (b < 128) break;
      shift *= 128;
    }
    return { data: bytes.subarray(i, i + len) };
  },
};

let outputChunkFallback: ((b: Buffer) => object) | undefined;

function codecFor(type: protobuf.Type) {
  if (type.name !== "OutputChunk") return codec(type);
  outputChunkFallback = codec(type).deserialize;
  return bytesOnlyCodec as unknown as ReturnType<typeof codec>;
}

function buildDefinition(): ServiceDefinition {
  const service = agentRoot.lookupService(AGENT_SERVICE);
  const def: Record<string, MethodDefinition<object, object>> = {};
  for (const method of service.methodsArray) {
    method.resolve();
    const req = codecFor(method.resolvedRequestType as protobuf.Type);
    const res = codecFor(method.resolvedResponseType as protobuf.Type);
    def[method.name] = {
      path: `/${AGENT_SERVICE}/${method.name}`,
      requestStream: Boolean(method.requestStream),
      responseStream: Boolean(method.responseStream),
      requestSerialize: req.serialize,
      requestDeserialize: req.deserialize,
      responseSerialize: res.serialize,
      responseDeserialize: res.deserialize,
      originalName: method.name,
    };
  }
  return def;
}

/** The Agent service, keyed by RPC name (Hello, Create, ReadOutput, ...). */
export const agentService: ServiceDefinition = buildDefinition();

/** Names of every RPC, in .proto order. */
export const agentMethods: string[] = Object.keys(agentService);
