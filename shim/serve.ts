// The long-lived shim server: listens on its socket, serves containerd.task.v2.Task, publishes
// events, and tears the VM down on Shutdown, on SIGTERM/SIGINT/SIGHUP (through lib/vm's cleanup
// registry, which every VM also registers with), or when nobody talks to it any more.
import { rmSync } from "node:fs";
import { registerCleanup } from "../lib/cleanup.ts";
import { invalidArgument } from "../lib/errors.ts";
import { logger } from "../lib/log.ts";
import { TtrpcServer } from "../lib/ttrpc/index.ts";
import type { ShimFlags } from "./flags.ts";
import { createPublisher } from "./publisher.ts";
import { TASK_SERVICE, TaskService } from "./task-service.ts";

const log = logger("shim");
const IDLE_EXIT_MS = 30_000;

export async function serveShim(f: ShimFlags): Promise<void> {
  const socket = f.socket;
  if (!socket)
    throw invalidArgument("serve needs -socket", { hint: "the shim server is launched by `start`" });
  const ttrpcAddress = process.env.TTRPC_ADDRESS || `${f.address}.ttrpc`;
  const publisher = createPublisher(ttrpcAddress, f.namespace);
  const server = new TtrpcServer();
  let teardown: Promise<void> | undefined;
  const stop = () => {
    teardown ??= (async () => {
      await tasks.close().catch((e) => log.warn(`teardown: ${String(e)}`));
      await Promise.race([publisher.flush(), Bun.sleep(2000)]);
      publisher.close();
      await server.close();
      rmSync(socket, { force: true });
    })();
    return teardown;
  };
  const tasks = new TaskService({
    namespace: f.namespace,
    socket,
    publisher,
    shutdown: () => void stop().then(() => process.exit(0)),
  });
  // Signals run every registered cleanup (this one and each VM's), then exit 128+signal.
  registerCleanup({ name: "shim server", run: stop, runSync: () => rmSync(socket, { force: true }) });
  server.register(TASK_SERVICE, tasks.methods());
  await server.listen(socket);
  // A shim nobody talks to (containerd gave up after `start`, or died) must not linger.
  let idleSince = Date.now();
  setInterval(() => {
    if (server.connectionCount > 0 || tasks.hasContainer) idleSince = Date.now();
    else if (Date.now() - idleSince > IDLE_EXIT_MS) {
      log.warn(`no containerd connection for ${IDLE_EXIT_MS / 1000} s: exiting`);
      void stop().then(() => process.exit(0));
    }
  }, 1000).unref();
  log.info(`shim ${f.namespace}/${f.id} listening on ${socket} (pid ${process.pid})`);
}
