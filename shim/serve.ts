// The long-lived shim server: listens on its socket, serves containerd.task.v2.Task, publishes
// events, and tears the VM down on Shutdown, on SIGTERM/SIGINT/SIGHUP (through lib/vm's cleanup
// registry, which every VM also registers with), or when nobody talks to it any more.
// A spare server (`-spare`, shim/spare.ts) first makes its warm VM, then listens until a `start`
// claims it, and exits if containerd goes first.
import { constants, openSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { registerCleanup } from "../lib/cleanup.ts";
import { invalidArgument, messageOf } from "../lib/errors.ts";
import { writeFileAtomic } from "../lib/fs-atomic.ts";
import { logger, setLogFd } from "../lib/log.ts";
import { withDescendants } from "../lib/sys/proc.ts";
import { TtrpcServer } from "../lib/ttrpc/index.ts";
import type { ShimFlags } from "./flags.ts";
import { selfArgv } from "./manager.ts";
import type { ShimOptions } from "./options.ts";
import { createPublisher } from "./publisher.ts";
import { manifestText, sandboxId, startSpareSandbox } from "./sandbox.ts";
import {
  claimOnce,
  encode,
  failureNote,
  launchSpare,
  parseClaim,
  pendingMark,
  SPARE_SERVICE,
  SPARE_SETTLE_MS,
  spareOptions,
  spareSocket,
  unnice,
  watchContainerd,
} from "./spare.ts";
import { type SpareVm, TASK_SERVICE, TaskService, type TaskServiceDeps } from "./task-service.ts";

const log = logger("shim");
const IDLE_EXIT_MS = 30_000;

export async function serveShim(f: ShimFlags): Promise<void> {
  if (!f.socket)
    throw invalidArgument("serve needs -socket", { hint: "the shim server is launched by `start`" });
  const ttrpcAddress = process.env.TTRPC_ADDRESS || `${f.address}.ttrpc`;
  // A spare's socket is named by its pid (shim/spare.ts); `start` renames it when it claims it.
  const socketDir = dirname(f.socket);
  const spareAt = f.spare ? spareSocket(socketDir, f.address, f.namespace, process.pid) : undefined;
  let socket = spareAt ?? f.socket;
  const publisher = createPublisher(ttrpcAddress, f.namespace);
  const server = new TtrpcServer();
  let teardown: Promise<void> | undefined;
  /** A spare nobody has claimed yet: it waits for its claim, not for containerd's calls. */
  let unclaimed = f.spare === true;
  // A spare's files go first: its teardown may wait for a warm-up, and a SIGKILL meanwhile would
  // leave them (listSpares sweeps a dead pid's files only when its key is looked up again).
  const removeFiles = () => {
    if (spareAt) rmSync(pendingMark(spareAt), { force: true });
    rmSync(socket, { force: true });
  };
  const stop = () => {
    teardown ??= (async () => {
      if (unclaimed) removeFiles();
      await tasks.close().catch((e) => log.warn(`teardown: ${String(e)}`));
      await Promise.race([publisher.flush(), Bun.sleep(2000)]);
      publisher.close();
      await server.close();
      removeFiles();
    })();
    return teardown;
  };
  const exit = () => void stop().then(() => process.exit(0));
  // The next spare starts once this container has had SPARE_SETTLE_MS to start and run, or when
  // containerd shuts this shim down after its last Delete, whichever comes first: its restore and
  // warm-up (≈ 2 s of TCG) then keep off the host's cores while a short container starts (no
  // difference beyond the noise was measured either way: docs/ARCHITECTURE.md).
  let nextSpare: ShimOptions | undefined;
  let nextSpareTimer: Timer | undefined;
  const launchNextSpare = async () => {
    clearTimeout(nextSpareTimer);
    const options = nextSpare;
    nextSpare = undefined;
    if (options)
      await launchSpare(f, socketDir, options, selfArgv()).catch((e) =>
        log.warn(`could not launch a spare shim: ${messageOf(e)}`),
      );
  };
  const deps: TaskServiceDeps = {
    namespace: f.namespace,
    socket,
    publisher,
    shutdown: () => void launchNextSpare().finally(exit),
    wantSpare: (options) => {
      nextSpare = options;
      nextSpareTimer ??= setTimeout(launchNextSpare, SPARE_SETTLE_MS);
    },
  };
  const spare = f.spare ? spareVm(f.namespace, failureNote(socketDir, f.address, f.namespace)) : undefined;
  deps.spare = spare;
  const tasks = new TaskService(deps);
  // Signals run every registered cleanup (this one and each VM's), then exit 128+signal.
  registerCleanup({ name: "shim server", run: stop, runSync: removeFiles });
  server.register(TASK_SERVICE, tasks.methods());

  if (spareAt && spare) {
    const unwatch = watchContainerd(ttrpcAddress, () => {
      log.warn("containerd is gone: the spare exits");
      exit();
    });
    const accept = claimOnce();
    server.register(SPARE_SERVICE, {
      Claim: async (payload) => {
        const c = parseClaim(payload, f.namespace);
        accept(c);
        unclaimed = false;
        unwatch();
        rmSync(pendingMark(spareAt), { force: true });
        socket = c.socket;
        deps.socket = c.socket;
        // From here on this is that container's shim: its log FIFO, its bundle, full priority.
        try {
          setLogFd(openSync(join(c.bundle, "log"), constants.O_RDWR | constants.O_NONBLOCK));
        } catch {
          // no log FIFO (a bundle made by hand): lines go nowhere, as a shim's without one
        }
        process.chdir(c.bundle);
        unnice(withDescendants([process.pid]));
        log.info(`spare shim ${process.pid} claimed by ${c.namespace}/${c.id}`);
        return encode({ pid: process.pid });
      },
    });
    // Claimable only once warm: a start meanwhile boots a VM of its own as without a spare.
    if (!(await spare.sandbox)) {
      rmSync(pendingMark(spareAt), { force: true });
      process.exit(1);
    }
    if (teardown) return; // containerd went while it warmed
    await server.listen(spareAt);
    rmSync(pendingMark(spareAt), { force: true });
  } else await server.listen(socket);

  // A shim nobody talks to (containerd gave up after `start`, or died) must not linger; a spare
  // waits for its claim (and goes with containerd).
  let idleSince = Date.now();
  setInterval(() => {
    if (unclaimed || server.connectionCount > 0 || tasks.hasContainer) idleSince = Date.now();
    else if (Date.now() - idleSince > IDLE_EXIT_MS) {
      log.warn(`no containerd connection for ${IDLE_EXIT_MS / 1000} s: exiting`);
      exit();
    }
  }, 1000).unref();
  log.info(`shim ${f.namespace}/${f.id} listening on ${socket} (pid ${process.pid})`);
}

/**
 * A spare's VM: restored and warmed now; undefined if it cannot be made, and why is written to
 * `failed` (a spare has no log until claimed; the next launcher says it).
 */
function spareVm(namespace: string, failed: string): SpareVm {
  const options = spareOptions();
  const sandbox = startSpareSandbox(sandboxId(namespace, `spare-${process.pid}`), options).catch(
    async (e) => {
      await writeFileAtomic(failed, `${messageOf(e)}\n`).catch(() => {});
      return undefined;
    },
  );
  let manifest = "";
  try {
    manifest = manifestText(options);
  } catch {
    // the VM's start reads it too, fails the same way and records why
  }
  return { sandbox, options: { ...options, manifestText: manifest } };
}
