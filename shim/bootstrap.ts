// What `start` answers containerd, and where the shim listens. containerd 1.6/1.7 (and 2.x before
// the bootstrap API) read stdout as a plain address or the JSON {"version":2,...}; containerd 2.3+
// sends BootstrapParams (protobuf) on stdin and reads a BootstrapResult (protobuf) back.
import { createHash } from "node:crypto";
import { join } from "node:path";
import { SHIM_SOCKET_DIR } from "../lib/constants.ts";
import { codec, type Msg } from "../lib/containerd/protos.ts";

const PARAMS = codec("containerd.runtime.bootstrap.v1.BootstrapParams");
const RESULT = codec("containerd.runtime.bootstrap.v1.BootstrapResult");

/** Socket path for one shim: stable for (containerd address, namespace, id), short enough for sun_path. */
export function socketPath(
  containerdAddress: string,
  namespace: string,
  id: string,
  dir = SHIM_SOCKET_DIR,
): string {
  const h = createHash("sha256").update(`${containerdAddress}\0${namespace}\0${id}`).digest("hex");
  return join(dir, `${h.slice(0, 32)}.sock`);
}

export interface BootstrapParams {
  instanceId: string;
  namespace: string;
  logLevel: number;
  ttrpcAddress: string;
  grpcAddress: string;
  socketDir?: string;
}

/**
 * containerd 2.3+'s parameters, or null when stdin holds something else (1.6/1.7 send the runtime
 * options Any there). Like containerd's own shims, trust it only if its id and namespace match
 * the command line.
 */
export function parseBootstrapParams(
  stdin: Uint8Array,
  id: string,
  namespace: string,
): BootstrapParams | null {
  if (stdin.length === 0) return null;
  let m: Msg;
  try {
    m = PARAMS.decode(stdin);
  } catch {
    return null;
  }
  if (m.instanceId !== id || m.namespace !== namespace) return null;
  return {
    instanceId: m.instanceId,
    namespace: m.namespace,
    logLevel: m.logLevel,
    ttrpcAddress: m.containerdTtrpcAddress,
    grpcAddress: m.containerdGrpcAddress,
    socketDir: m.socketDir || undefined,
  };
}

/**
 * The answer for containerd 1.6–2.2 (no bootstrap params on stdin): the bare address. Measured:
 * containerd 1.6.20 dials whatever it reads, so it rejects the JSON form; 1.7+ accept both.
 */
export function legacyAnswer(socket: string): string {
  return `unix://${socket}`;
}

/** The JSON form containerd 1.7–2.2 also accept (and need for a non-ttrpc protocol). */
export function jsonAnswer(socket: string): string {
  return JSON.stringify({ version: 2, address: `unix://${socket}`, protocol: "ttrpc" });
}

/** The answer for containerd 2.3+: a protobuf BootstrapResult. */
export function bootstrapAnswer(socket: string): Uint8Array {
  return RESULT.encode({ version: 2, address: `unix://${socket}`, protocol: "ttrpc" });
}

/** containerd 2.x's log level numbers (slog-style) to ours. */
export function logLevelName(level: number): "trace" | "debug" | "info" | "warn" | "error" {
  if (level <= -8) return "trace";
  if (level <= -4) return "debug";
  if (level < 4) return "info";
  if (level < 8) return "warn";
  return "error";
}
