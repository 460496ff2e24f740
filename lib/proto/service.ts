// Turns lib/proto/agent.proto into a grpc-js ServiceDefinition at load time
// (lib/proto/grpc-definition.ts). Only agent/server and lib/agent-client
// import this module; everything else sees plain TypeScript types.
import type { ServiceDefinition } from "@grpc/grpc-js";
import protobuf from "protobufjs";
import protoText from "./agent.proto" with { type: "text" };
import { grpcService } from "./grpc-definition.ts";

export const AGENT_PACKAGE = "runm.agent.v1";
export const AGENT_SERVICE = `${AGENT_PACKAGE}.Agent`;

export const agentRoot: protobuf.Root = protobuf.parse(protoText, { keepCase: false }).root;

/** The Agent service, keyed by RPC name (Hello, Create, AttachOutput, ...). */
export const agentService: ServiceDefinition = grpcService(agentRoot, AGENT_SERVICE);

/** Names of every RPC, in .proto order. */
export const agentMethods: string[] = Object.keys(agentService);
