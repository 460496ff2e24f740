// A client of containerd's CRI plugin (the Kubernetes CRI, runtime.v1 from lib/cri/api.proto) over
// its unix socket, as kubelet speaks it: what runm's CRI tests drive (crictl is not packaged here).
// Requests and answers are plain objects with camelCase keys (protobufjs conversions).
import {
  type Client,
  credentials,
  Metadata,
  makeGenericClientConstructor,
  type ServiceError,
} from "@grpc/grpc-js";
import protobuf from "protobufjs";
import { grpcService } from "../proto/grpc-definition.ts";
import protoText from "./api.proto" with { type: "text" };

const root = protobuf.parse(protoText, { keepCase: false }).root;
const RUNTIME = "runtime.v1.RuntimeService";
const IMAGES = "runtime.v1.ImageService";

// biome-ignore lint/suspicious/noExplicitAny: CRI messages are decoded protobuf data.
export type CriMessage = Record<string, any>;

type Unary = (req: object, cb: (e: ServiceError | null, res: CriMessage) => void) => void;

export class CriClient {
  private readonly runtime: Client;
  private readonly images: Client;

  /** `socket`: containerd's gRPC socket path. */
  constructor(socket: string) {
    const target = `unix://${socket}`;
    const Runtime = makeGenericClientConstructor(grpcService(root, RUNTIME), RUNTIME);
    const Images = makeGenericClientConstructor(grpcService(root, IMAGES), IMAGES);
    this.runtime = new Runtime(target, credentials.createInsecure());
    this.images = new Images(target, credentials.createInsecure());
  }

  /** A RuntimeService call by name (RunPodSandbox, CreateContainer, ExecSync, ...). */
  call(method: string, req: object, timeoutMs = 180_000): Promise<CriMessage> {
    return this.unary(this.runtime, method, req, timeoutMs);
  }

  /** An ImageService call by name (ImageStatus, ListImages, ...). */
  image(method: string, req: object, timeoutMs = 60_000): Promise<CriMessage> {
    return this.unary(this.images, method, req, timeoutMs);
  }

  private unary(client: Client, method: string, req: object, timeoutMs: number): Promise<CriMessage> {
    const fn = (client as unknown as Record<string, Unary>)[method];
    if (!fn) return Promise.reject(new Error(`no CRI method ${method}`));
    return new Promise((resolve, reject) => {
      const deadline = new Date(Date.now() + timeoutMs);
      (fn as unknown as (r: object, m: object, o: object, cb: Parameters<Unary>[1]) => void).call(
        client,
        req,
        new Metadata(),
        { deadline },
        (e, res) => (e ? reject(new Error(`CRI ${method}: ${e.details || e.message}`)) : resolve(res)),
      );
    });
  }

  close(): void {
    this.runtime.close();
    this.images.close();
  }
}
