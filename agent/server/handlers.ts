// The handler table: each RPC of lib/proto/agent.proto mapped onto AgentService. This file and
// status.ts are the only agent modules that see wire types. Streams are pull-based: the next
// chunk is read from the process only after the previous one was accepted by HTTP/2.

import type { Socket } from "node:net";
import {
  Metadata,
  type ServerDuplexStream,
  type ServerUnaryCall,
  type ServerWritableStream,
  type sendUnaryData,
  type UntypedServiceImplementation,
} from "@grpc/grpc-js";
import { invalidArgument } from "../../lib/errors.ts";
import { logger, logLevelName } from "../../lib/log.ts";
import type * as W from "../../lib/proto/wire.ts";
import type { AgentService } from "../service.ts";
import { toStatus } from "./status.ts";

type Unary<Req, Res> = (req: Req) => Promise<Res> | Res;

function unary<Req, Res>(fn: Unary<Req, Res>) {
  return (call: ServerUnaryCall<Req, Res>, cb: sendUnaryData<Res>) => {
    Promise.resolve()
      .then(() => fn(call.request))
      .then(
        (res) => cb(null, res),
        (e) => cb(toStatus(e)),
      );
  };
}

/**
 * `ackHeaders`: send response headers as soon as the generator has started (Events: the
 * generator subscribes synchronously on its first next()), so the client knows from then on no
 * event is missed.
 */
function serverStream<Req, Item, Res>(
  fn: (req: Req, signal: AbortSignal) => AsyncGenerator<Item>,
  wrap: (i: Item) => Res,
  ackHeaders = false,
) {
  return async (call: ServerWritableStream<Req, Res>) => {
    const abort = new AbortController();
    call.on("cancelled", () => abort.abort());
    let items: AsyncGenerator<Item> | undefined;
    try {
      items = fn(call.request, abort.signal);
      let next = items.next();
      if (ackHeaders) call.sendMetadata(new Metadata());
      for (let r = await next; !r.done; r = await next) {
        if (abort.signal.aborted) break;
        if (!call.write(wrap(r.value))) await drainOrCancel(call, abort.signal);
        if (abort.signal.aborted) break;
        next = items.next();
      }
      if (!abort.signal.aborted) call.end();
    } catch (e) {
      if (!abort.signal.aborted) call.emit("error", toStatus(e));
    } finally {
      await items?.return(undefined);
    }
  };
}

/** Wait for 'drain' or cancellation, removing both listeners after (one pair per full buffer). */
function drainOrCancel(call: NodeJS.EventEmitter, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      call.off("drain", done);
      signal.removeEventListener("abort", done);
      resolve();
    };
    call.on("drain", done);
    signal.addEventListener("abort", done);
  });
}

const ref = (r: { process?: W.ProcessRef }): W.ProcessRef => {
  if (!r.process?.containerId) throw invalidArgument("request names no container (process.container_id)");
  return r.process;
};
const ms = (d: Date | undefined) => (d ? d.getTime() : 0);

/** With debug logging, each call's start and end (where a stuck request stopped). */
function traced(table: UntypedServiceImplementation): UntypedServiceImplementation {
  if (logLevelName() !== "debug" && logLevelName() !== "trace") return table;
  const log = logger("agent");
  const out: UntypedServiceImplementation = {};
  for (const [name, h] of Object.entries(table)) {
    const fn = h as (call: { request?: object }, cb?: sendUnaryData<unknown>) => unknown;
    out[name] = ((call: { request?: object }, cb?: sendUnaryData<unknown>) => {
      log.debug(`→ ${name} ${JSON.stringify(call.request ?? {}).slice(0, 120)}`);
      if (!cb) return fn(call);
      return fn(call, (e, r) => {
        log.debug(`← ${name}${e ? `: ${e.details ?? "error"}` : ""}`);
        cb(e, r);
      });
    }) as UntypedServiceImplementation[string];
  }
  return out;
}

export function handlers(svc: AgentService): UntypedServiceImplementation {
  return traced({
    Hello: unary(() => svc.hello()),
    Setup: unary((r: W.SetupRequest) => svc.setup(r) ?? {}),
    ConfigureNetwork: unary(async (r: W.ConfigureNetworkRequest) => {
      await svc.configureNetwork(r);
      return {};
    }),
    MountShare: unary(async (r: W.MountShareRequest) => {
      await svc.mountShare(r.fstype, r.tag, r.target, r.readOnly);
      return {};
    }),
    Unmount: unary((r: W.UnmountRequest) => svc.unmount(r.target) ?? {}),
    Create: unary(async (r: W.CreateRequest) => ({
      pid: await svc.create(
        r.containerId,
        r.specJson,
        r.rootfs,
        r.stdio ?? { terminal: false, stdin: false },
      ),
    })),
    Start: unary(async (r: W.ProcessRequest) => {
      const p = ref(r);
      return { pid: await svc.start(p.containerId, p.execId) };
    }),
    Exec: unary(async (r: W.ExecRequest) => {
      const p = ref(r);
      if (!p.execId) throw invalidArgument("Exec needs process.exec_id");
      await svc.exec(p.containerId, p.execId, r.processJson, r.stdio ?? { terminal: false, stdin: false });
      return {};
    }),
    Kill: unary(async (r: W.KillRequest) => {
      const p = ref(r);
      await svc.kill(p.containerId, p.execId, r.signal || 15, r.all);
      return {};
    }),
    Delete: unary(async (r: W.ProcessRequest): Promise<W.DeleteResponse> => {
      const p = ref(r);
      const d = await svc.delete(p.containerId, p.execId);
      return { pid: d.pid, exitStatus: d.status, exitedAtUnixMs: ms(d.exitedAt) };
    }),
    State: unary((r: W.ProcessRequest): W.StateResponse => {
      const p = ref(r);
      const s = svc.state(p.containerId, p.execId);
      return { ...s, exitedAtUnixMs: ms(s.exitedAt) };
    }),
    Ps: unary(
      async (r: W.ContainerRequest): Promise<W.PsResponse> => ({ processes: await svc.ps(r.containerId) }),
    ),
    Pause: unary(async (r: W.ContainerRequest) => {
      await svc.pause(r.containerId);
      return {};
    }),
    Resume: unary(async (r: W.ContainerRequest) => {
      await svc.resume(r.containerId);
      return {};
    }),
    Update: unary(async (r: W.UpdateRequest) => {
      await svc.update(r.containerId, r.resourcesJson);
      return {};
    }),
    Stats: unary((r: W.ContainerRequest): W.StatsResponse => svc.stats(r.containerId)),
    Wait: unary(async (r: W.ProcessRequest): Promise<W.WaitResponse> => {
      const p = ref(r);
      const e = await svc.wait(p.containerId, p.execId);
      return { exitStatus: e.status, exitedAtUnixMs: ms(e.exitedAt) };
    }),
    ResizePty: unary((r: W.ResizePtyRequest) => {
      const p = ref(r);
      svc.resizePty(p.containerId, p.execId, r.width, r.height);
      return {};
    }),
    CloseStdin: unary(async (r: W.ProcessRequest) => {
      const p = ref(r);
      await svc.closeStdin(p.containerId, p.execId);
      return {};
    }),
    AttachOutput: unary(async (r: W.AttachOutputRequest) => {
      const p = ref(r);
      await svc.attachOutput(p.containerId, p.execId, r.stream, r.channelStream);
      return {};
    }),
    AttachStdin: unary(async (r: W.AttachStdinRequest) => {
      const p = ref(r);
      await svc.attachStdin(p.containerId, p.execId, r.channelStream);
      return {};
    }),
    Events: serverStream(
      (_r: object, signal) => svc.events(signal),
      (e): W.Event => ({ ...e, timestampUnixMs: e.timestamp.getTime() }),
      true,
    ),
    ForwardHostPorts: serverStream(
      (r: W.ForwardHostPortsRequest, signal) => svc.hostPorts.listen(r.ports, r.sockets, signal),
      (c): W.ForwardedConnection => c,
      true,
    ),
    Tunnel: tunnel(svc),
  });
}

/**
 * Bidi stream: the host's first message names a forwarded connection (host-ports.ts); then bytes
 * flow both ways with backpressure on each side. The host's end half-closes the guest connection;
 * the guest's half-close is an eof message; the call ends when the guest connection closes.
 */
function tunnel(svc: AgentService) {
  return (call: ServerDuplexStream<W.TunnelData, W.TunnelData>) => {
    let sock: Socket | undefined;
    const attach = (id: string): Socket => {
      const s = svc.hostPorts.claim(id);
      s.on("data", (d: Buffer) => {
        if (!call.write({ id: "", data: d, eof: false })) {
          s.pause();
          call.once("drain", () => s.resume());
        }
      });
      // A server's end would end the whole call: the guest's half-close travels as a message.
      s.once("end", () => call.write({ id: "", data: new Uint8Array(0), eof: true }));
      s.once("close", () => call.end());
      s.on("error", () => {});
      s.resume();
      return s;
    };
    call.on("data", (m: W.TunnelData) => {
      try {
        sock ??= attach(m.id);
      } catch (e) {
        call.emit("error", toStatus(e));
        return;
      }
      if (m.data.length && !sock.write(m.data)) {
        call.pause();
        sock.once("drain", () => call.resume());
      }
    });
    call.on("end", () => sock?.end());
    call.on("cancelled", () => sock?.destroy());
  };
}
