import { join } from "node:path";
import { logger } from "../lib/log.ts";
import { uptimeMs } from "./boot.ts";
import { EventBus } from "./events.ts";
import type { AgentOptions } from "./options.ts";
import { Runc, resolveRunc } from "./runc.ts";
import { grpcEndpoint } from "./server/serve.ts";
import { AgentService, type BootTimes } from "./service.ts";
import { FileWatcher } from "./sys/inotify.ts";
import { Reaper } from "./sys/reaper.ts";
import { AutoTransport, virtioSerialPair, vsockPair } from "./transport/auto.ts";
import type { Transport } from "./transport/types.ts";
import { UnixTransport } from "./transport/unix.ts";

const log = logger("agent");

function transportFor(o: AgentOptions): Transport {
  const l = o.listen;
  if (l.kind === "unix") return new UnixTransport(l.path);
  if (l.kind === "vsock") return new AutoTransport(undefined, vsockPair(l.port));
  if (l.kind === "virtio-serial") return new AutoTransport(undefined, virtioSerialPair());
  return new AutoTransport();
}

export async function runAgent(o: AgentOptions, boot: Omit<BootTimes, "uptimeAtReadyMs">) {
  const runcPath = resolveRunc(o.runc);
  Reaper.becomeSubreaper();
  const reaper = new Reaper();
  const runc = new Runc({
    binary: runcPath,
    root: join(o.stateDir, "runc"),
    logDir: join(o.stateDir, "logs"),
    reaper,
  });
  const times: BootTimes = { ...boot, uptimeAtReadyMs: 0 };
  const svc = new AgentService(
    { runc, reaper, events: new EventBus(), files: new FileWatcher(), stateDir: o.stateDir },
    times,
  );
  const endpoint = grpcEndpoint(svc);
  const transport = transportFor(o);
  await transport.start((s, kind) => (kind === "rpc" ? endpoint.inject(s) : svc.attachStdio(s)));
  // The channel's fds are signal-driven, not handles Bun knows, so nothing else keeps the event
  // loop alive while the agent waits for the host: one timer that (practically) never fires does.
  const keepAlive = setInterval(() => {}, 2 ** 31 - 1);
  times.uptimeAtReadyMs = uptimeMs();
  log.info(`serving on ${transport.name} (${Math.round(times.uptimeAtReadyMs)} ms after kernel start)`);
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      await svc.shutdown();
      await transport.close();
      endpoint.close();
      clearInterval(keepAlive);
    })();
    return stopping;
  };
  return { svc, stop };
}
