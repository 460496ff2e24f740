// A grpc-js ServiceDefinition from a .proto parsed by protobufjs at load time (no code generation
// step: the .proto is the single source): the agent's own service and, in tests, the CRI's.
import type { MethodDefinition, ServiceDefinition } from "@grpc/grpc-js";
import type protobuf from "protobufjs";

const CONVERSION: protobuf.IConversionOptions = { longs: Number, defaults: true, arrays: true };

function codec(type: protobuf.Type) {
  return {
    serialize: (value: object): Buffer => Buffer.from(type.encode(type.fromObject(value)).finish()),
    deserialize: (bytes: Buffer): object => type.toObject(type.decode(bytes), CONVERSION),
  };
}

/** `service` (fully qualified) of `root`, keyed by RPC name. */
export function grpcService(root: protobuf.Root, service: string): ServiceDefinition {
  const def: Record<string, MethodDefinition<object, object>> = {};
  for (const method of root.lookupService(service).methodsArray) {
    method.resolve();
    const req = codec(method.resolvedRequestType as protobuf.Type);
    const res = codec(method.resolvedResponseType as protobuf.Type);
    def[method.name] = {
      path: `/${service}/${method.name}`,
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
