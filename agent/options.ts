// The agent's command line. In the guest it runs without flags (virtio-serial if the port
// exists, else vsock); tests and debugging use --listen unix:PATH and host paths.
import { parseArgs } from "node:util";
import { AGENT_VSOCK_PORT, GUEST_AGENT_STATE_DIR, GUEST_RUNC_PATH } from "../lib/constants.ts";
import { invalidArgument } from "../lib/errors.ts";

export type Listen =
  | { kind: "unix"; path: string }
  | { kind: "vsock"; port: number }
  | { kind: "virtio-serial" }
  | { kind: "auto" };

export interface AgentOptions {
  listen: Listen;
  runc: string;
  stateDir: string;
}

export function parseListen(s: string): Listen {
  if (s === "auto" || s === "virtio-serial") return { kind: s };
  if (s.startsWith("unix:") && s.length > 5) return { kind: "unix", path: s.slice(5) };
  if (s === "vsock") return { kind: "vsock", port: AGENT_VSOCK_PORT };
  const m = /^vsock:(\d+)$/.exec(s);
  if (m) return { kind: "vsock", port: Number(m[1]) };
  throw invalidArgument(`bad --listen ${s}`, { hint: "use unix:PATH, vsock[:PORT], virtio-serial or auto" });
}

export function parseAgentOptions(argv: string[]): AgentOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      listen: { type: "string", default: "auto" },
      runc: { type: "string", default: GUEST_RUNC_PATH },
      "state-dir": { type: "string", default: GUEST_AGENT_STATE_DIR },
    },
    strict: true,
  });
  return { listen: parseListen(values.listen), runc: values.runc, stateDir: values["state-dir"] };
}
