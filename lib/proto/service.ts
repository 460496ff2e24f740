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

function buildDefinition(): ServiceDefinition {
  const service = agentRoot.lookupService(AGENT_SERVICE);
  const def: Record<string, MethodDefinition<object, object>> = {};
  for (const method of service.methodsArray) {
    method.resolve();
    const req = codec(method.resolvedRequestType as protobuf.Type);
    const res = codec(method.resolvedResponseType as protobuf.Type);
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

/** The Agent service, keyed by RPC name (Hello, Create, AttachOutput, ...). */
export const agentService: ServiceDefinition = buildDefinition();

/** Names of every RPC, in .proto order. */
export const agentMethods: string[] = Object.keys(agentService);
