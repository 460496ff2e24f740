// The command line containerd gives a shim, Go `flag` style (single dash, `-name value` or
// `-name=value`), followed by the action: `start`, `delete`, or none (the long-lived server).
import { invalidArgument } from "../lib/errors.ts";

export interface ShimFlags {
  namespace: string;
  id: string;
  /** containerd's gRPC socket. */
  address: string;
  publishBinary: string;
  bundle: string;
  debug: boolean;
  socket?: string;
  /** A spare server (shim/spare.ts): warms a VM ahead of need until a `start` claims it. */
  spare?: boolean;
  action: "start" | "delete" | "serve" | "version";
}

const STRING_FLAGS: Record<string, keyof ShimFlags> = {
  namespace: "namespace",
  id: "id",
  address: "address",
  "publish-binary": "publishBinary",
  bundle: "bundle",
  socket: "socket",
};

export function parseShimFlags(argv: string[]): ShimFlags {
  const f: ShimFlags = {
    namespace: "",
    id: "",
    address: "",
    publishBinary: "",
    bundle: "",
    debug: false,
    action: "serve",
  };
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (!a.startsWith("-")) {
      rest.push(a);
      continue;
    }
    const body = a.replace(/^--?/, "");
    const eq = body.indexOf("=");
    const name = eq < 0 ? body : body.slice(0, eq);
    if (name === "spare") {
      f.spare = true;
      continue;
    }
    if (name === "debug" || name === "v") {
      if (name === "v") f.action = "version";
      else f.debug = eq < 0 ? true : body.slice(eq + 1) !== "false";
      continue;
    }
    const key = STRING_FLAGS[name];
    if (!key) continue; // flags of newer containerd versions we do not use
    const value = eq < 0 ? argv[++i] : body.slice(eq + 1);
    if (value === undefined) throw invalidArgument(`flag -${name} needs a value`);
    (f as unknown as Record<string, string>)[key] = value;
  }
  const action = rest[0];
  if (action === "start" || action === "delete" || action === "serve") f.action = action;
  else if (action !== undefined)
    throw invalidArgument(`unknown shim action "${action}"`, { hint: "use start or delete" });
  if (f.action !== "version" && !f.id)
    throw invalidArgument("missing -id", { hint: "the shim is run by containerd" });
  if (f.action !== "version" && !f.namespace) f.namespace = "default";
  return f;
}

/** The flags to hand the long-lived server process (the same identity, action serve). */
export function serveArgs(f: ShimFlags): string[] {
  const args = [
    "-namespace",
    f.namespace,
    "-id",
    f.id,
    "-address",
    f.address,
    "-publish-binary",
    f.publishBinary,
  ];
  if (f.bundle) args.push("-bundle", f.bundle);
  if (f.debug) args.push("-debug");
  if (f.socket) args.push("-socket", f.socket);
  if (f.spare) args.push("-spare");
  return [...args, "serve"];
}
