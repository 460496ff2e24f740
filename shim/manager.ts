// The shim binary's lifecycle actions, as containerd runs them:
//   start  — launch the long-lived server detached (own session), wait until it listens, print
//            the address in the form this containerd expects, exit; for a pod's later container,
//            answer the address of the pod's running shim instead (shim/grouping.ts).
//            A ready spare shim (shim/spare.ts) is claimed instead of launching one.
//   delete — clean up after a shim that died (even by SIGKILL): VM processes by pid, sockets,
//            runtime dirs; print a DeleteResponse with exit status 137. A pod's shim that still
//            serves other containers is left alone.

import { spawn } from "node:child_process";
import {
  closeSync,
  constants,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from "node:fs";
import { connect } from "node:net";
import { dirname, join } from "node:path";
import { RUNM_SHIM_BINARY, SHIM_BUNDLE_FILES } from "../lib/constants.ts";
import { codec, timestamp } from "../lib/containerd/protos.ts";
import { internal, unavailable } from "../lib/errors.ts";
import { writeFileAtomic } from "../lib/fs-atomic.ts";
import { networkNamespacePath } from "../lib/oci/pod-namespaces.ts";
import { HostCgroup } from "../lib/sys/host-cgroup.ts";
import { removeTree } from "../lib/sys/mounts.ts";
import { signalIfCommandLine, signalVerified, stillRunning } from "../lib/sys/proc.ts";
import { podNetns, unwirePodNetwork } from "../lib/vm/qemu/pod-network.ts";
import {
  bootstrapAnswer,
  legacyAnswer,
  logLevelName,
  parseBootstrapParams,
  socketPath,
} from "./bootstrap.ts";
import { readRecord } from "./bundle-state.ts";
import { type ShimFlags, serveArgs } from "./flags.ts";
import { groupOf, readBundleSpec } from "./grouping.ts";
import { claimSpare } from "./spare.ts";

const DELETE_RESPONSE = codec("containerd.task.v2.DeleteResponse");
const SIGKILL_STATUS = 128 + 9;

/** argv that re-runs this program: the compiled binary itself, or `bun shim/main.ts` in development. */
export function selfArgv(): string[] {
  const script = process.argv[1] ?? "";
  const compiled = script.startsWith("/$bunfs/") || script === process.execPath;
  return compiled ? [process.execPath] : [process.execPath, script];
}

export async function startShim(f: ShimFlags, stdin: Uint8Array): Promise<Uint8Array | string> {
  const bundle = f.bundle || process.cwd();
  const params = parseBootstrapParams(stdin, f.id, f.namespace);
  // One shim per group: a pod's later containers are served by the shim (and VM) of its first.
  const spec = readBundleSpec(bundle);
  const socket = socketPath(f.address, f.namespace, groupOf(f.id, spec?.annotations), params?.socketDir);
  mkdirSync(dirname(socket), { recursive: true, mode: 0o711 });
  const answer = () => (params ? bootstrapAnswer(socket) : legacyAnswer(socket));
  if (existsSync(socket) && (await canConnect(socket))) {
    await writeFileAtomic(join(bundle, SHIM_BUNDLE_FILES.address), `unix://${socket}`);
    return answer();
  }
  rmSync(socket, { force: true }); // a dead shim's
  // A spare shim with a warm VM (the runtime option `spare`) becomes this container's, unless the
  // container names a network namespace (a CNI pod's sandbox): its VM needs a tap there, which no
  // spare has, and claiming one would only throw its VM away.
  const spare = networkNamespacePath(spec?.linux) ? undefined : await claimSpare(f, bundle, socket);
  if (spare !== undefined) {
    await writeFileAtomic(join(bundle, SHIM_BUNDLE_FILES.pid), String(spare));
    await writeFileAtomic(join(bundle, SHIM_BUNDLE_FILES.address), `unix://${socket}`);
    return answer();
  }

  // containerd reads the shim's log from the `log` FIFO in the bundle (already open for reading).
  // O_RDWR never blocks on a FIFO, and the server keeps the fd as its stderr.
  const logFifo = join(bundle, "log");
  const logFd = existsSync(logFifo) ? openSync(logFifo, constants.O_RDWR) : "ignore";
  const level = params ? logLevelName(params.logLevel) : f.debug ? "debug" : "info";
  const [bin, ...pre] = selfArgv();
  const child = spawn(bin as string, [...pre, ...serveArgs({ ...f, bundle, socket })], {
    cwd: bundle,
    detached: true,
    stdio: ["ignore", "ignore", logFd],
    env: {
      ...process.env,
      RUNM_LOG_LEVEL: process.env.RUNM_LOG_LEVEL ?? level,
      ...(params?.ttrpcAddress ? { TTRPC_ADDRESS: params.ttrpcAddress } : {}),
    },
  });
  if (typeof logFd === "number") closeSync(logFd);
  const pid = child.pid;
  if (pid === undefined) throw internal("could not launch the shim server");
  let exitCode: number | null = null;
  child.once("exit", (code) => {
    exitCode = code ?? 1;
  });
  child.unref();

  await waitListening(socket, () => exitCode);
  await writeFileAtomic(join(bundle, SHIM_BUNDLE_FILES.pid), String(pid));
  await writeFileAtomic(join(bundle, SHIM_BUNDLE_FILES.address), `unix://${socket}`);
  return answer();
}

async function waitListening(socket: string, exited: () => number | null): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const code = exited();
    if (code !== null) throw unavailable(`the shim server exited with ${code} before listening`);
    if (existsSync(socket) && (await canConnect(socket))) return;
    await Bun.sleep(10);
  }
  throw unavailable(`the shim server did not listen on ${socket} within 10 s`);
}

function canConnect(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

/** `delete`: everything the dead shim owned goes; answers a DeleteResponse (exit 137). */
export async function deleteShim(f: ShimFlags): Promise<Uint8Array> {
  const bundle = f.bundle || process.cwd();
  const rec = readRecord(bundle);
  const pidFile = join(bundle, SHIM_BUNDLE_FILES.pid);
  // A pod's shim still serving its other containers: containerd runs `delete` for a joined
  // container once its own connection closes, though the shim lives on. Only this bundle's files
  // go; the shim and the VM stay (they end with the pod's last container).
  if (rec && stillRunning(rec.shim) && (await canConnect(rec.socket))) {
    for (const name of Object.values(SHIM_BUNDLE_FILES)) rmSync(join(bundle, name), { force: true });
    return DELETE_RESPONSE.encode({ pid: 0, exitStatus: SIGKILL_STATUS, exitedAt: timestamp() });
  }
  // The shim first (it must not race us), then the VM's processes: each only if it is still the
  // process recorded (same start time), never a pid reused since. Before the shim wrote its
  // record there is only its pid file: then its command line must still name this container.
  if (rec) signalVerified(rec.shim, "SIGKILL");
  else if (existsSync(pidFile))
    signalIfCommandLine(Number(readFileSync(pidFile, "utf8")), [RUNM_SHIM_BINARY, `-id ${f.id} `], "SIGKILL");
  for (const p of rec?.hostProcesses ?? []) signalVerified(p, "SIGKILL");
  // The VMM's host cgroup (now empty: its processes were just killed).
  if (rec?.hostCgroup) HostCgroup.removePath(rec.hostCgroup);
  // The pod network's tap and redirects (the namespace itself is CNI's, removed by its runtime).
  if (rec?.podNetns) {
    try {
      unwirePodNetwork(podNetns(rec.podNetns).name);
    } catch {
      // the namespace is gone, and its tap with it
    }
  }
  // A VM's hot-share mounts are detached before its dir is removed (never a removal through them).
  for (const dir of [rec?.vmRuntimeDir, rec?.vmSocketDir]) if (dir) removeTree(dir);
  const socket = rec?.socket ?? socketPath(f.address, f.namespace, f.id);
  rmSync(socket, { force: true });
  for (const name of Object.values(SHIM_BUNDLE_FILES)) rmSync(join(bundle, name), { force: true });
  return DELETE_RESPONSE.encode({ pid: 0, exitStatus: SIGKILL_STATUS, exitedAt: timestamp() });
}

/** Point `runm-console.log` in the bundle at the guest console (next to containerd's shim log). */
export function linkConsole(bundle: string, consolePath: string): void {
  const link = join(bundle, SHIM_BUNDLE_FILES.console);
  rmSync(link, { force: true });
  try {
    symlinkSync(consolePath, link);
  } catch {
    // informational only
  }
}
