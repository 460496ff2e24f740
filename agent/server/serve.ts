// The gRPC server: one grpc-js Server whose HTTP/2 sessions run over whatever byte stream a
// transport hands it. Server.createConnectionInjector takes any Duplex; verified under Bun with a
// unix socket and with FdDuplex over two pipes (agent/transport/transport.test.ts).
import type { Duplex } from "node:stream";
import { Server, ServerCredentials } from "@grpc/grpc-js";
import { agentService } from "../../lib/proto/service.ts";
import type { AgentService } from "../service.ts";
import { handlers } from "./handlers.ts";

export interface GrpcEndpoint {
  /** Serve one HTTP/2 session over this stream. */
  inject(stream: Duplex): void;
  close(): void;
}

export function grpcEndpoint(svc: AgentService): GrpcEndpoint {
  const server = new Server({ "grpc.max_receive_message_length": 64 * 1024 * 1024 });
  server.addService(agentService, handlers(svc));
  const injector = server.createConnectionInjector(ServerCredentials.createInsecure());
  return {
    inject: (stream) => injector.injectConnection(stream),
    close: () => {
      injector.destroy();
      server.forceShutdown();
    },
  };
}
