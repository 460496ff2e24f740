// Spare shims (the runtime option `spare`): a shim server started ahead of need that already owns
// a restored VM warmed by one container lifecycle, so that the next container of its containerd
// and namespace starts in a VM whose agent, runc and guest kernel paths TCG has translated
// (docs/ARCHITECTURE.md "Start under TCG": 0.99 s against 2.74 s for `ctr run --rm true`).
//
// The VM stays the child of the process that serves it (its PDEATHSIG), and no VM is ever handed
// between processes: `start` takes the whole server. It claims one by renaming the spare's socket
// to the container's (atomic: of two concurrent starts exactly one wins), then tells it whose it
// now is over the socket (runm.shim.v1.Spare/Claim). From then on it is that container's shim.
// The container joins the warm VM as a pod's later container does (hot shares); one whose shape
// differs (another size, guest or runtime, a CNI network, virtio-fs, published ports) boots its
// own VM as without a spare, and the spare's goes.
//
// Files in the shim socket dir, per (containerd address, namespace):
//   spare-KEY-PID.pending  the spawner's mark while PID restores and warms its VM
//   spare-KEY-PID.sock     PID's server, ready to be claimed
//   spare.lock             held while a shim looks for a spare and launches one (any KEY)
//   spare-KEY.failed       why the last spare could not make its VM (logged by the next launcher)
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { setPriority } from "node:os";
import { dirname, isAbsolute, join } from "node:path";
import { RUNM_SHIM_BINARY } from "../lib/constants.ts";
import { alreadyExists, invalidArgument, messageOf } from "../lib/errors.ts";
import { withLock } from "../lib/lock.ts";
import { logger } from "../lib/log.ts";
import { pidAlive, signalIfCommandLine } from "../lib/sys/proc.ts";
import { TtrpcClient } from "../lib/ttrpc/index.ts";
import { type ShimFlags, serveArgs } from "./flags.ts";
import type { ShimOptions } from "./options.ts";

const log = logger("shim");

export const SPARE_SERVICE = "runm.shim.v1.Spare";
/** The spawner's options for the spare's VM travel in this variable (the shim's own environment). */
export const SPARE_OPTIONS_ENV = "RUNM_SPARE_OPTIONS";
/** How many spares one (containerd, namespace) keeps: one covers containers started one by one. */
const SPARES_WANTED = 1;
/** How long after its container's Create a shim starts the next spare (shim/serve.ts says why). */
export const SPARE_SETTLE_MS = 2_000;
/** A spare runs its VM at this nice level until claimed, so its warm-up yields to running work. */
export const SPARE_NICE = 10;

/** What `start` tells the spare it claimed. */
export interface SpareClaim {
  id: string;
  namespace: string;
  bundle: string;
  /** The container's shim socket, which the spare's socket was renamed to. */
  socket: string;
}

export const spareKey = (address: string, namespace: string) =>
  createHash("sha256").update(`${address}\0${namespace}`).digest("hex").slice(0, 16);

const SPARE_FILE = /^spare-([0-9a-f]{16})-(\d+)\.(sock|pending)$/;

interface SpareFile {
  path: string;
  pid: number;
  kind: "sock" | "pending";
}

/**
 * The spares (ready or warming) of a containerd and namespace whose processes are alive. The files
 * of a dead spare (SIGKILLed: it could not remove them), of any containerd, go on the way.
 */
export function listSpares(dir: string, address: string, namespace: string): SpareFile[] {
  const key = spareKey(address, namespace);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const out: SpareFile[] = [];
  for (const name of names) {
    const m = SPARE_FILE.exec(name);
    if (!m) continue;
    const f = { path: join(dir, name), pid: Number(m[2]), kind: m[3] as "sock" | "pending" };
    if (!pidAlive(f.pid)) rmSync(f.path, { force: true });
    else if (m[1] === key) out.push(f);
  }
  return out;
}

/** Why the last spare of this containerd and namespace failed: it has no log of its own to say it. */
export function failureNote(dir: string, address: string, namespace: string): string {
  return join(dir, `spare-${spareKey(address, namespace)}.failed`);
}

/** A failure this recent stops launches: each would fail again, and cost a VM's boot. */
const FAILURE_BACKOFF_MS = 60_000;

/** Where a spare of this containerd and namespace with this pid listens once ready. */
export function spareSocket(dir: string, address: string, namespace: string, pid: number): string {
  return join(dir, `spare-${spareKey(address, namespace)}-${pid}.sock`);
}

export function pendingMark(socket: string): string {
  return socket.replace(/\.sock$/, ".pending");
}

/**
 * `start`: claim a ready spare for the container whose shim socket is `socket`. Returns the
 * spare's pid, or undefined when there is none (or each one tried failed: the caller starts a
 * shim as without spares).
 */
export async function claimSpare(f: ShimFlags, bundle: string, socket: string): Promise<number | undefined> {
  for (const spare of listSpares(dirname(socket), f.address, f.namespace)) {
    if (spare.kind !== "sock") continue;
    try {
      renameSync(spare.path, socket);
    } catch {
      continue; // another start took it first, or it just exited
    }
    const claim: SpareClaim = { id: f.id, namespace: f.namespace, bundle, socket };
    let client: TtrpcClient | undefined;
    try {
      client = await TtrpcClient.connect(socket);
      const answer = await client.call(SPARE_SERVICE, "Claim", encode(claim), { timeoutMs: 5_000 });
      const { pid } = JSON.parse(new TextDecoder().decode(answer)) as { pid: number };
      if (pid !== spare.pid) throw new Error(`answered as pid ${pid}`);
      return pid;
    } catch (e) {
      // A spare that cannot be claimed is broken: it goes, if that pid is still a spare shim of
      // this containerd and namespace (its serve command line says so).
      log.warn(`spare shim ${spare.pid} could not be claimed (${messageOf(e)}): starting a shim`);
      rmSync(socket, { force: true });
      signalIfCommandLine(spare.pid, spareCommandLine(f), "SIGTERM");
    } finally {
      client?.close();
    }
  }
  return undefined;
}

/** What a spare shim's command line holds (launchSpare's serveArgs): how a recorded pid is checked. */
function spareCommandLine(f: ShimFlags): string[] {
  return [RUNM_SHIM_BINARY, `-namespace ${f.namespace} `, `-address ${f.address} `, " -spare "];
}

/**
 * After a Create whose options ask for a spare: start one for this containerd and namespace
 * unless one is ready or warming. The look and the launch hold a lock (eight containers started
 * at once ask together: one spare, not eight). The spare is detached
 * (its own session), logs nowhere until claimed, and runs niced until then.
 */
export async function launchSpare(
  f: ShimFlags,
  socketDir: string,
  options: ShimOptions,
  argv: string[],
): Promise<void> {
  // One lock file for the dir (launches take milliseconds): no file per containerd left behind.
  const lock = join(socketDir, "spare.lock");
  await withLock(lock, async () => {
    if (listSpares(socketDir, f.address, f.namespace).length >= SPARES_WANTED) return;
    // The last spare failed: said here, where a log reaches containerd's; no retry for a while.
    const note = failureNote(socketDir, f.address, f.namespace);
    try {
      const failedAt = statSync(note).mtimeMs;
      log.warn(`a spare shim could not make its VM: ${readFileSync(note, "utf8").trim()}`);
      if (Date.now() - failedAt < FAILURE_BACKOFF_MS) return;
      rmSync(note, { force: true });
    } catch {
      // no failure recorded
    }
    const [bin, ...pre] = argv;
    // The socket is named by the spare's pid, known once it runs: a placeholder the spare replaces.
    const child = spawn(
      bin as string,
      [
        ...pre,
        ...serveArgs({ ...f, id: "spare", bundle: "", socket: join(socketDir, "spare"), spare: true }),
      ],
      {
        cwd: "/",
        detached: true,
        stdio: "ignore",
        env: { ...process.env, [SPARE_OPTIONS_ENV]: JSON.stringify(options) },
      },
    );
    const pid = child.pid;
    child.unref();
    if (pid === undefined) return;
    try {
      setPriority(pid, SPARE_NICE);
    } catch {
      // it runs at normal priority: slower neighbours while it warms, nothing worse
    }
    // Under the lock: the next launcher sees it.
    writeFileSync(pendingMark(spareSocket(socketDir, f.address, f.namespace, pid)), "");
    log.debug(`spare shim ${pid} launched`);
  });
}

/** The spare's own reading of its options (written by launchSpare's shim). */
export function spareOptions(env = process.env): ShimOptions {
  const raw = env[SPARE_OPTIONS_ENV];
  if (!raw)
    throw invalidArgument(`a spare shim needs ${SPARE_OPTIONS_ENV}`, {
      hint: "spares are started by the shim",
    });
  return JSON.parse(raw) as ShimOptions;
}

/** Why a container of options `want` cannot run in a spare VM made with `have`, or undefined if it can. */
export function spareMismatch(
  have: ShimOptions & { manifestText: string },
  want: ShimOptions & { manifestText: string },
  podNetns: string | undefined,
): string | undefined {
  if (podNetns) return "it joins a CNI network";
  for (const k of [
    "cpus",
    "memoryMiB",
    "accel",
    "guestArch",
    "shareKind",
    "template",
    "guestRuntime",
  ] as const)
    if (have[k] !== want[k]) return `its ${k} is ${String(want[k])}, the spare's ${String(have[k])}`;
  if (have.manifestText !== want.manifestText) return "the guest image changed since the spare started";
  if (want.ports.length) return "it publishes ports";
  if (want.hostLoopbackPorts.length) return "it reaches host loopback ports";
  return undefined;
}

/** Check a claim from `start` (hostile input as any string on a socket: shape and paths). */
export function parseClaim(payload: Uint8Array, namespace: string): SpareClaim {
  let c: Partial<SpareClaim>;
  try {
    c = JSON.parse(new TextDecoder().decode(payload));
  } catch {
    throw invalidArgument("a spare claim must be JSON");
  }
  const ok = (s: unknown): s is string => typeof s === "string" && s.length > 0 && s.length <= 4096;
  if (!ok(c.id) || !ok(c.namespace) || !ok(c.bundle) || !ok(c.socket))
    throw invalidArgument("a spare claim needs id, namespace, bundle and socket");
  if (c.namespace !== namespace)
    throw invalidArgument(`this spare serves namespace ${namespace}, not ${c.namespace}`);
  if (!isAbsolute(c.bundle) || !isAbsolute(c.socket))
    throw invalidArgument("a spare claim's paths must be absolute");
  return c as SpareClaim;
}

export const encode = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

/** Only one claim: a second (a start that raced a failed one) is refused. */
export function claimOnce(): (c: SpareClaim) => void {
  let claimed: SpareClaim | undefined;
  return (c) => {
    if (claimed) throw alreadyExists(`this spare was claimed by ${claimed.namespace}/${claimed.id}`);
    claimed = c;
  };
}

/** Every thread of each pid back to normal priority (nice is per thread on Linux). */
export function unnice(pids: number[]): void {
  for (const pid of pids) {
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      try {
        setPriority(Number(tid), 0);
      } catch {
        // exited meanwhile
      }
    }
  }
}

/**
 * Calls `gone` once containerd has gone (its ttrpc socket closes the connection held here and no
 * longer accepts one): a spare nobody can claim must not linger. Event-driven: a held connection,
 * no polling. Returns a function that stops watching.
 */
export function watchContainerd(ttrpcAddress: string, gone: () => void): () => void {
  let sock: Socket | undefined;
  let stopped = false;
  const hold = () => {
    if (stopped) return;
    const s = connect(ttrpcAddress);
    sock = s;
    let opened = false;
    s.on("connect", () => {
      opened = true;
    });
    s.on("data", () => {}); // containerd says nothing unasked; read so that a close is seen
    s.on("error", () => {});
    s.on("close", () => {
      if (stopped) return;
      if (!opened) return gone(); // refused: containerd is not there
      setTimeout(hold, 200); // it closed a live connection: see whether it still accepts one
    });
  };
  hold();
  return () => {
    stopped = true;
    sock?.destroy();
  };
}
