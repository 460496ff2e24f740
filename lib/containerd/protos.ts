// containerd's protobuf messages, parsed from the .proto files beside this module (embedded as
// text so the compiled shim carries them). Everything else sees plain objects with camelCase keys.
import protobuf from "protobufjs";
import bootstrap from "./proto/bootstrap.proto" with { type: "text" };
import cgroups from "./proto/cgroups-v2.proto" with { type: "text" };
import events from "./proto/events.proto" with { type: "text" };
import google from "./proto/google.proto" with { type: "text" };
import runtime from "./proto/runtime.proto" with { type: "text" };
import taskTypes from "./proto/task-types.proto" with { type: "text" };
import taskV2 from "./proto/task-v2.proto" with { type: "text" };
import ttrpcEvents from "./proto/ttrpc-events.proto" with { type: "text" };
import types from "./proto/types.proto" with { type: "text" };

let parsed: protobuf.Root | undefined;

/**
 * Parsed on first use, not at import: the shim's `start` (without containerd 2.3's bootstrap
 * params) never needs a message, and it runs once per container start.
 */
function root(): protobuf.Root {
  if (parsed) return parsed;
  const r = new protobuf.Root();
  for (const text of [google, types, taskTypes, taskV2, events, ttrpcEvents, runtime, bootstrap, cgroups]) {
    protobuf.parse(text, r, { keepCase: false });
  }
  r.resolveAll();
  parsed = r;
  return r;
}

// biome-ignore lint/suspicious/noExplicitAny: decoded protobuf objects are plain data.
export type Msg = Record<string, any>;

export interface Codec {
  readonly name: string;
  encode(obj: Msg): Uint8Array;
  decode(bytes: Uint8Array): Msg;
}

const cache = new Map<string, Codec>();

/**
 * Encoder/decoder for a fully qualified message name, e.g. "containerd.task.v2.CreateTaskRequest"
 * (looked up at its first use: an unknown name fails there).
 */
export function codec(name: string): Codec {
  const hit = cache.get(name);
  if (hit) return hit;
  let found: protobuf.Type | undefined;
  const type = () => {
    found ??= root().lookupType(name);
    return found;
  };
  const c: Codec = {
    name,
    encode: (obj) => {
      const t = type();
      return t.encode(t.fromObject(obj)).finish();
    },
    decode: (bytes) => {
      const t = type();
      return t.toObject(t.decode(bytes), {
        longs: Number,
        enums: Number,
        bytes: Uint8Array,
        defaults: true,
        arrays: true,
      });
    },
  };
  cache.set(name, c);
  return c;
}

export interface AnyValue {
  typeUrl: string;
  value: Uint8Array;
}

/** Wrap a message in an Any the way containerd's typeurl names it: the bare full name. */
export function packAny(name: string, obj: Msg): AnyValue {
  return { typeUrl: name, value: codec(name).encode(obj) };
}

/** Unwrap an Any whose type is one of ours (accepts "type.googleapis.com/" prefixed URLs). */
export function unpackAny(a: AnyValue): Msg {
  const name = a.typeUrl.replace(/^.*\//, "");
  return codec(name).decode(a.value);
}

export function timestamp(ms: number = Date.now()): { seconds: number; nanos: number } {
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1_000_000 };
}

export const TaskStatus = { UNKNOWN: 0, CREATED: 1, RUNNING: 2, STOPPED: 3, PAUSED: 4, PAUSING: 5 } as const;
