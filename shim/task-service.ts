// containerd.task.v2.Task: the RPC table. Every call is forwarded to the guest agent, where the
// container's state machine lives; this file only translates, wires stdio and publishes events
// in containerd's order. Errors are RunmErrors; lib/ttrpc converts them to statuses.
// One shim serves one VM and the containers grouped into it (a pod: shim/grouping.ts): the first
// container's Create starts the VM; each later one joins it with its own shares added while the
// VM runs (Sandbox.addShares); the VM ends with the last container's Delete.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { callDeadline, type ProcessState } from "../lib/agent-client/index.ts";
import { TTRPC_NAMESPACE_KEY } from "../lib/constants.ts";
import { type AnyValue, codec, type Msg, packAny, TaskStatus, timestamp } from "../lib/containerd/protos.ts";
import {
  alreadyExists,
  invalidArgument,
  isRunmError,
  messageOf,
  notFound,
  notImplemented,
} from "../lib/errors.ts";
import { logger } from "../lib/log.ts";
import { joinsPodNetwork, networkNamespacePath } from "../lib/oci/pod-namespaces.ts";
import { type MountPlan, planMounts } from "../lib/sandbox/mounts.ts";
import type { Sandbox } from "../lib/sandbox/sandbox.ts";
import { cgroupfsPath } from "../lib/sys/host-cgroup.ts";
import { identify } from "../lib/sys/proc.ts";
import type { CallContext, MethodHandler } from "../lib/ttrpc/index.ts";
import { podNetns } from "../lib/vm/qemu/pod-network.ts";
import { writeRecord } from "./bundle-state.ts";
import { groupOf } from "./grouping.ts";
import { type HostHookKind, type OciHook, ociState, runHooks, splitHooks } from "./hooks.ts";
import { linkConsole } from "./manager.ts";
import { resolveOptions, type ShimOptions } from "./options.ts";
import { checkSpec } from "./policy.ts";
import { type Exit, ShimProcess } from "./process.ts";
import type { Publisher } from "./publisher.ts";
import { manifestText, sandboxId, startSandbox } from "./sandbox.ts";
import { spareMismatch } from "./spare.ts";
import { openHostIo } from "./stdio.ts";

const log = logger("shim");
export const TASK_SERVICE = "containerd.task.v2.Task";
const EMPTY = new Uint8Array(0);

interface Container {
  id: string;
  bundle: string;
  sandbox: Sandbox;
  init: ShimProcess;
  execs: Map<string, ShimProcess>;
  events: AbortController;
  /** Set when the VM died under the container: every process counts as exited with LOST_STATUS. */
  lost?: Exit;
  /** A later container of the pod: its guest mounts and the shares added for it, undone at Delete. */
  joined?: MountPlan;
  /** The spec's runtime-namespace hooks, run here on the host (shim/hooks.ts). */
  hooks: Record<HostHookKind, OciHook[]>;
  annotations?: Record<string, string>;
}

/** Exit status reported for processes whose VM died (containerd's "unknown" status). */
const LOST_STATUS = 255;
/** How long Kill and Delete wait for a silent guest before its VM is torn down regardless. */
const GUEST_SILENCE_MS = 15_000;
/**
 * State answers within containerd's own bound on it (`io.containerd.timeout.task.state`, 2 s):
 * from 2.3 on containerd fails a task's Get when State runs out of time (before, it reported the
 * status unknown), so a silent guest would make the task impossible to load, and so to delete.
 */
const STATE_ANSWER_MS = 1_500;

export interface TaskServiceDeps {
  namespace: string;
  /** The shim's own socket (recorded for `delete`). */
  socket: string;
  publisher: Publisher;
  /** Called after Shutdown answered: close the server and exit. */
  shutdown(): void;
  /** A spare shim's warm VM (shim/spare.ts): its first container joins it if its shape fits. */
  spare?: SpareVm;
  /** After a Create whose options ask for a spare: have one ready for the next container. */
  wantSpare?(options: ShimOptions): void;
}

export interface SpareVm {
  /** The VM, or undefined if it could not be made (its container then boots its own). */
  sandbox: Promise<Sandbox | undefined>;
  options: ShimOptions & { manifestText: string };
}

/** The guest's process states as containerd's; "unknown": the guest did not answer in time. */
const STATUS: Record<ProcessState["status"] | "unknown", number> = {
  unknown: TaskStatus.UNKNOWN,
  created: TaskStatus.CREATED,
  running: TaskStatus.RUNNING,
  paused: TaskStatus.PAUSED,
  stopped: TaskStatus.STOPPED,
  deleted: TaskStatus.STOPPED,
};

const ts = (d: Date | undefined) => (d ? timestamp(d.getTime()) : undefined);

export class TaskService {
  private readonly containers = new Map<string, Container>();
  /** The VM, from the first container's Create to the last one's Delete. */
  private sandbox?: Sandbox;
  /** Names each joining container's shares apart ("p1-l0", "p2-l0", ...). */
  private joins = 0;
  /** Guest sockets numbered so far in this pod (each container's host unix socket binds). */
  private socketsUsed = 0;
  private creating: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: TaskServiceDeps) {}

  get hasContainer(): boolean {
    return this.containers.size > 0;
  }

  /** The table registered on the ttrpc server. */
  methods(): Record<string, MethodHandler> {
    const m = <Req extends string, Res extends string>(
      req: Req,
      res: Res,
      fn: (r: Msg, ctx: CallContext) => Promise<Msg>,
    ) => {
      const rq = codec(`containerd.task.v2.${req}`);
      const rs = res === "Empty" ? undefined : codec(`containerd.task.v2.${res}`);
      return async (payload: Uint8Array, ctx: CallContext) => {
        const r = rq.decode(payload);
        log.debug(`${ctx.method} ${r.id ?? ""}${r.execId ? `/${r.execId}` : ""}`);
        // Every agent call made for this request carries containerd's deadline.
        const out = await callDeadline.run(ctx.deadline, () => fn(r, ctx));
        return rs ? rs.encode(out) : EMPTY;
      };
    };
    return {
      Create: m("CreateTaskRequest", "CreateTaskResponse", (r, c) => this.serialCreate(r, c)),
      Start: m("StartRequest", "StartResponse", (r) => this.start(r)),
      State: m("StateRequest", "StateResponse", (r) => this.state(r)),
      Wait: m("WaitRequest", "WaitResponse", (r) => this.wait(r)),
      Kill: m("KillRequest", "Empty", (r) => this.kill(r)),
      Delete: m("DeleteRequest", "DeleteResponse", (r) => this.delete(r)),
      Exec: m("ExecProcessRequest", "Empty", (r) => this.exec(r)),
      ResizePty: m("ResizePtyRequest", "Empty", (r) => this.resizePty(r)),
      CloseIO: m("CloseIORequest", "Empty", (r) => this.closeIO(r)),
      Pids: m("PidsRequest", "PidsResponse", (r) => this.pids(r)),
      Stats: m("StatsRequest", "StatsResponse", (r) => this.stats(r)),
      Pause: m("PauseRequest", "Empty", (r) => this.pause(r)),
      Resume: m("ResumeRequest", "Empty", (r) => this.resume(r)),
      Update: m("UpdateTaskRequest", "Empty", (r) => this.update(r)),
      Connect: m("ConnectRequest", "ConnectResponse", (r) => this.connect(r)),
      Shutdown: m("ShutdownRequest", "Empty", (r) => this.shutdownTask(r)),
      Checkpoint: m("CheckpointTaskRequest", "Empty", async () => {
        throw notImplemented("checkpoint is not supported by runm");
      }),
    };
  }

  private get(id: string): Container {
    const c = this.containers.get(id);
    if (!c) throw notFound(`container ${id} not found`);
    return c;
  }

  private proc(id: string, execId: string): ShimProcess {
    const c = this.get(id);
    if (!execId) return c.init;
    const p = c.execs.get(execId);
    if (!p) throw notFound(`exec ${execId} of ${id} not found`);
    return p;
  }

  private publish(type: Parameters<Publisher["publish"]>[0], event: Msg): void {
    this.deps.publisher.publish(type, event);
  }

  /**
   * One Create at a time: a pod's second container must find the VM its first one is still
   * starting, never start a second VM.
   */
  private serialCreate(r: Msg, ctx: CallContext): Promise<Msg> {
    const next = this.creating.then(() => this.create(r, ctx));
    this.creating = next.catch(() => {});
    return next;
  }

  private async create(r: Msg, ctx: CallContext): Promise<Msg> {
    if (this.containers.has(r.id)) throw alreadyExists(`container ${r.id} already exists in this shim`);
    const namespace = ctx.metadata[TTRPC_NAMESPACE_KEY]?.[0] ?? this.deps.namespace;
    const spec = JSON.parse(readFileSync(join(r.bundle, "config.json"), "utf8"));
    let pod = this.sandbox;
    const podPids = pod ? [...this.containers.values()].map((c) => c.init.pid).filter((p) => p > 0) : [];
    checkSpec(spec.linux, podPids);
    // A joining container's options are checked (policy) but its VM already exists as it is.
    const opts = resolveOptions(r.options as AnyValue | null, spec);
    const netns = pod ? undefined : podNetwork(spec.linux);
    if (pod) checkJoinedNetwork(r.id, spec.linux, pod, podPids);
    // A spare's first container joins its warm VM as a pod's later one would, if it fits.
    const spare = pod ? undefined : await this.takeSpare(r.id, opts, netns);
    if (spare) {
      // Held first: if the move fails, Create fails and the VM still goes with the shim.
      pod = spare;
      this.sandbox = spare;
      const cgroup = hostCgroupOf(spec.linux);
      if (cgroup) spare.adoptHostCgroup(cgroup);
    }
    const plan = planMounts(
      r.id,
      r.bundle,
      r.rootfs,
      spec,
      pod ? { sharePrefix: `p${++this.joins}-`, firstSocket: this.socketsUsed } : undefined,
    );
    this.socketsUsed += plan.sockets.length;
    const stdio = { stdin: r.stdin, stdout: r.stdout, stderr: r.stderr, terminal: r.terminal };
    const io = await openHostIo(stdio, { containerId: r.id, namespace });
    let started: Sandbox | undefined;
    let sharesAdded = false;
    try {
      if (pod) {
        pod.addShares(plan.shares);
        sharesAdded = true;
        await pod.forwardSockets(r.id, plan.sockets);
      } else {
        started = await startSandbox(sandboxId(namespace, groupOf(r.id, spec.annotations)), plan, opts, {
          podNetns: netns,
          cgroup: hostCgroupOf(spec.linux),
        });
        this.sandbox = started;
      }
      const sandbox = (pod ?? started) as Sandbox;
      await writeRecord(r.bundle, {
        shim: identify(process.pid) ?? { pid: process.pid, startTime: 0 },
        socket: this.deps.socket,
        vmRuntimeDir: sandbox.vm.runtimeDir,
        vmSocketDir: sandbox.socketDir,
        hostProcesses: sandbox.hostPids().flatMap((pid) => identify(pid) ?? []),
        podNetns: sandbox.vm.guestNetwork() ? sandbox.podNetns : undefined,
        hostCgroup: sandbox.hostCgroup,
      });
      linkConsole(r.bundle, sandbox.vm.consolePath);
      await sandbox.mount(plan.guestMounts);
      const init = new ShimProcess({ containerId: r.id, execId: "" }, stdio, io);
      const hooks = splitHooks(spec.hooks);
      const pid = await sandbox.agent.create(
        r.id,
        {
          ...spec,
          hooks: hooks.guest,
          mounts: plan.mounts,
          linux: withVmNetwork(spec.linux),
          hostname: ownUts(spec.linux) ? spec.hostname : undefined,
        },
        { rootfs: plan.rootfs, stdio: { terminal: r.terminal, stdin: !!r.stdin } },
      );
      init.pid = pid;
      // The runtime's create is done and the process exists: the OCI lifecycle's prestart and
      // createRuntime point. A failure fails Create (the VM goes with it, below).
      const creating = ociState(r.id, "creating", pid, r.bundle, spec.annotations);
      await runHooks("prestart", hooks.host.prestart, creating);
      await runHooks("createRuntime", hooks.host.createRuntime, creating);
      init.startPumps(sandbox.agent);
      const c: Container = {
        id: r.id,
        bundle: r.bundle,
        sandbox,
        init,
        execs: new Map(),
        events: new AbortController(),
        hooks: hooks.host,
        annotations: spec.annotations,
        joined: pod ? plan : undefined,
      };
      this.containers.set(r.id, c);
      this.followEvents(c);
      this.publish("containerd.events.TaskCreate", {
        containerId: r.id,
        bundle: r.bundle,
        rootfs: r.rootfs,
        io: { stdin: r.stdin, stdout: r.stdout, stderr: r.stderr, terminal: r.terminal },
        pid,
      });
      // A CNI pod's VM is of a shape no spare has (a tap in the pod's namespace): none is made for it.
      if (opts.spare && !sandbox.podNetns) this.deps.wantSpare?.(opts);
      return { pid };
    } catch (e) {
      await io.close();
      if (!pod || spare) {
        await (started ?? spare)?.shutdown();
        this.sandbox = undefined;
      } else {
        await pod.agent.delete({ containerId: r.id }).catch(() => {});
        if (sharesAdded) await this.leave(pod, r.id, plan);
      }
      throw e;
    }
  }

  /**
   * The spare's VM for a first container whose shape fits it; otherwise the spare's VM goes (in the
   * background: the container boots its own meanwhile) and the log says why.
   */
  private async takeSpare(
    id: string,
    opts: ShimOptions,
    netns: string | undefined,
  ): Promise<Sandbox | undefined> {
    const spare = this.deps.spare;
    if (!spare) return undefined;
    this.deps.spare = undefined;
    const sandbox = await spare.sandbox;
    if (!sandbox) return undefined;
    let why: string | undefined;
    try {
      why = spareMismatch(spare.options, { ...opts, manifestText: manifestText(opts) }, netns);
    } catch (e) {
      void sandbox.shutdown(); // the container's guest image cannot be read: its Create fails
      throw e;
    }
    if (!why) {
      log.info(`${id} runs in the spare's warm VM ${sandbox.id}`);
      return sandbox;
    }
    log.info(`${id} does not fit the spare's VM (${why}): it boots its own`);
    void sandbox.shutdown();
    return undefined;
  }

  /**
   * A joined container is gone: its socket forwards stop, its guest mounts come down (overlay
   * before its tmpfs upper), then the shares added for it. Best effort: the VM and every other container go on regardless.
   */
  private async leave(sandbox: Sandbox, id: string, plan: MountPlan): Promise<void> {
    sandbox.stopForwarding(id);
    for (const m of [...plan.guestMounts].reverse())
      await sandbox.agent.unmount(m.target).catch((e) => log.debug(`unmount ${m.target}: ${messageOf(e)}`));
    try {
      sandbox.removeShares(plan.shares.map((x) => x.name));
    } catch (e) {
      log.warn(`removing the shares of a pod's container: ${messageOf(e)}`);
    }
  }

  /** Exit and OOM events come from the guest; the rest are published by the RPCs below. */
  private followEvents(c: Container): void {
    // For the container's whole life: outside the deadline of the Create that starts it.
    callDeadline.exit(() => this.eventLoop(c));
  }

  private eventLoop(c: Container): void {
    (async () => {
      for await (const e of c.sandbox.agent.events(c.events.signal)) {
        if (e.containerId !== c.id) continue;
        if (e.type === "oom") this.publish("containerd.events.TaskOOM", { containerId: c.id });
        if (e.type !== "exit") continue;
        const p = e.execId ? c.execs.get(e.execId) : c.init;
        p?.handleExit({ exitStatus: e.exitStatus, exitedAt: e.timestamp }, (x) => this.publishExit(c, p, x));
      }
    })().catch((e) => {
      if (c.events.signal.aborted) return;
      log.warn(`event stream from the guest ended: ${messageOf(e)}`);
      void this.checkLost(c);
    });
  }

  /**
   * The agent's event stream broke: if the VM is gone too (a guest crash ends in a kernel panic and
   * QEMU's exit), report every process as exited so that containerd can still kill and delete.
   */
  private async checkLost(c: Container): Promise<void> {
    if (!(await c.sandbox.vmGone(5_000))) return;
    log.error(
      `the VM of ${c.id} exited unexpectedly (see its console log); its processes exit ${LOST_STATUS}`,
    );
    this.markLost(c);
  }

  /**
   * Every process of the container counts as exited with LOST_STATUS (its VM is gone), and so do
   * those of every other container in the same VM.
   */
  private markLost(c: Container): Exit {
    if (c.lost) return c.lost;
    const x = { exitStatus: LOST_STATUS, exitedAt: new Date() };
    for (const each of new Set([c, ...this.containers.values()])) {
      if (each.lost) continue;
      each.lost = x;
      for (const p of [each.init, ...each.execs.values()])
        void p.handleExit(x, (e) => this.publishExit(each, p, e));
    }
    return x;
  }

  /**
   * A call that must not be held up by a guest that stopped answering (Kill, Delete of the init):
   * bounded by GUEST_SILENCE_MS; when the guest stays silent its VM is torn down and the container
   * counts as lost (255), so containerd can always stop and delete it.
   */
  private async orLost<T>(
    c: Container,
    what: string,
    call: (timeoutMs: number) => Promise<T>,
  ): Promise<T | Exit> {
    try {
      return await call(GUEST_SILENCE_MS);
    } catch (e) {
      if (!isRunmError(e, "DeadlineExceeded") && !isRunmError(e, "Unavailable")) throw e;
      log.error(`the guest of ${c.id} did not answer ${what} (${messageOf(e)}): tearing its VM down`);
      await c.sandbox.shutdown();
      return this.markLost(c);
    }
  }

  /** The guest's part of a Delete: its answer, or the exit already known when it need not be asked. */
  private async deleteInGuest(c: Container, p: ShimProcess): Promise<Exit & { pid: number }> {
    if (c.lost) return { pid: p.pid, ...c.lost };
    if (p.execId) return c.sandbox.agent.delete(p.ref);
    // The init of the VM's only container has exited: `runc delete` in a guest about to be
    // destroyed frees nothing the VM's teardown does not, so that teardown is the whole delete. A
    // created, never started init still goes through runc, whose forced delete collects its status.
    const last = this.containers.size === 1 && this.containers.has(c.id);
    if (last && p.exit) return { pid: p.pid, ...p.exit };
    return { pid: p.pid, ...(await this.orLost(c, "Delete", (t) => c.sandbox.agent.delete(p.ref, t))) };
  }

  private publishExit(c: Container, p: ShimProcess, x: Exit): void {
    this.publish("containerd.events.TaskExit", {
      containerId: c.id,
      id: p.execId || c.id,
      pid: p.pid,
      exitStatus: x.exitStatus,
      exitedAt: ts(x.exitedAt),
    });
  }

  private async start(r: Msg): Promise<Msg> {
    const c = this.get(r.id);
    const p = this.proc(r.id, r.execId);
    const pid = await c.sandbox.agent.start(p.ref);
    if (p.execId) p.startPumps(c.sandbox.agent);
    if (p.execId)
      this.publish("containerd.events.TaskExecStarted", { containerId: c.id, execId: p.execId, pid });
    else this.publish("containerd.events.TaskStart", { containerId: c.id, pid });
    p.markStarted(pid);
    if (!p.execId)
      // OCI: a poststart hook's failure is logged; the container keeps running.
      await runHooks(
        "poststart",
        c.hooks.poststart,
        ociState(c.id, "running", pid, c.bundle, c.annotations),
      ).catch((e) => log.warn(messageOf(e)));
    return { pid };
  }

  private async state(r: Msg): Promise<Msg> {
    const c = this.get(r.id);
    const p = this.proc(r.id, r.execId);
    const s = c.lost
      ? { pid: p.pid, status: "stopped" as const, exitStatus: c.lost.exitStatus, exitedAt: c.lost.exitedAt }
      : await c.sandbox.agent.state(p.ref, STATE_ANSWER_MS).catch((e) => {
          if (!isRunmError(e, "DeadlineExceeded")) throw e;
          log.warn(`the guest of ${c.id} did not answer State within ${STATE_ANSWER_MS} ms: status unknown`);
          return { pid: p.pid, status: "unknown" as const, exitStatus: 0, exitedAt: undefined };
        });
    return {
      id: p.execId || c.id,
      bundle: c.bundle,
      pid: s.pid,
      status: STATUS[s.status] ?? TaskStatus.UNKNOWN,
      stdin: p.stdio.stdin,
      stdout: p.stdio.stdout,
      stderr: p.stdio.stderr,
      terminal: p.stdio.terminal,
      exitStatus: s.exitStatus,
      exitedAt: ts(s.exitedAt),
      execId: p.execId,
    };
  }

  private async wait(r: Msg): Promise<Msg> {
    const c = this.get(r.id);
    const p = this.proc(r.id, r.execId);
    // The exit usually comes first on the agent's Events stream (eventLoop): the agent's answer to
    // this Wait, on a stream of its own, trailed it by ~0.2 s under TCG, and containerd (ctr run
    // --rm's Delete) waits for this answer. Whichever comes first answers.
    const asked = c.lost ? Promise.resolve(c.lost) : c.sandbox.agent.wait(p.ref);
    const fromAgent = asked.then((x) => p.handleExit(x, (e) => this.publishExit(c, p, e)));
    fromAgent.catch(() => {}); // the event answered; a late failure of the call is moot
    const done = await Promise.race([fromAgent, p.exitPublished]);
    return { exitStatus: done.exitStatus, exitedAt: ts(done.exitedAt) };
  }

  private async kill(r: Msg): Promise<Msg> {
    const c = this.get(r.id);
    if (c.lost) return {}; // nothing left to signal
    const ref = this.proc(r.id, r.execId).ref;
    await this.orLost(c, "Kill", (t) => c.sandbox.agent.kill(ref, r.signal, r.all, t));
    return {};
  }

  private async delete(r: Msg): Promise<Msg> {
    const c = this.get(r.id);
    const p = this.proc(r.id, r.execId);
    const d = await this.deleteInGuest(c, p);
    await p.exited();
    await p.io.close();
    const out = { pid: d.pid, exitStatus: d.exitStatus, exitedAt: ts(d.exitedAt) };
    if (p.execId) {
      c.execs.delete(p.execId);
      return out;
    }
    for (const e of c.execs.values()) await e.io.close();
    this.publish("containerd.events.TaskDelete", { containerId: c.id, id: c.id, ...out });
    c.events.abort();
    this.containers.delete(c.id);
    // The VM ends with the last container of its pod; a joined one before that takes its shares.
    if (this.containers.size === 0) {
      await c.sandbox.shutdown();
      this.sandbox = undefined;
    } else if (c.joined && !c.lost) await this.leave(c.sandbox, c.id, c.joined);
    // OCI: after the container is deleted, before Delete returns; a failure is logged.
    await runHooks(
      "poststop",
      c.hooks.poststop,
      ociState(c.id, "stopped", d.pid, c.bundle, c.annotations),
    ).catch((e) => log.warn(messageOf(e)));
    return out;
  }

  private async exec(r: Msg): Promise<Msg> {
    const c = this.get(r.id);
    if (c.execs.has(r.execId)) throw alreadyExists(`exec ${r.execId} already exists in ${r.id}`);
    const spec = r.spec as AnyValue | null;
    if (!spec?.value?.length) throw invalidArgument("exec without a process spec");
    const processSpec = JSON.parse(new TextDecoder().decode(spec.value));
    const stdio = { stdin: r.stdin, stdout: r.stdout, stderr: r.stderr, terminal: r.terminal };
    const ref = { containerId: c.id, execId: r.execId as string };
    await c.sandbox.agent.exec(ref, processSpec, { terminal: r.terminal, stdin: !!r.stdin });
    const io = await openHostIo(stdio, { containerId: c.id, namespace: this.deps.namespace });
    const p = new ShimProcess(ref, stdio, io);
    c.execs.set(r.execId, p);
    // An exec's terminal exists only once it runs: its pumps start with Start.
    this.publish("containerd.events.TaskExecAdded", { containerId: c.id, execId: r.execId });
    return {};
  }

  private async resizePty(r: Msg): Promise<Msg> {
    const c = this.get(r.id);
    await c.sandbox.agent.resizePty(this.proc(r.id, r.execId).ref, r.width, r.height);
    return {};
  }

  private async closeIO(r: Msg): Promise<Msg> {
    const p = this.proc(r.id, r.execId);
    // Ending the FIFO reader ends the stdin stream, after which the agent's stdin is closed.
    if (r.stdin) p.io.closeStdin();
    return {};
  }

  private async pids(r: Msg): Promise<Msg> {
    const c = this.get(r.id);
    const ps = await c.sandbox.agent.ps(c.id);
    return { processes: ps.map((p) => ({ pid: p.pid })) };
  }

  private async stats(r: Msg): Promise<Msg> {
    const c = this.get(r.id);
    const s = await c.sandbox.agent.stats(c.id);
    const metrics = {
      pids: { current: s.pidsCurrent, limit: s.pidsLimit },
      cpu: { usageUsec: s.cpuUsageUsec, userUsec: s.cpuUserUsec, systemUsec: s.cpuSystemUsec },
      memory: { usage: s.memoryUsageBytes, usageLimit: s.memoryLimitBytes },
      memoryEvents: { oomKill: s.memoryOomKills },
      io: { usage: [{ rbytes: s.ioReadBytes, wbytes: s.ioWriteBytes }] },
    };
    return { stats: packAny("io.containerd.cgroups.v2.Metrics", metrics) };
  }

  private async pause(r: Msg): Promise<Msg> {
    const c = this.get(r.id);
    await c.sandbox.agent.pause(c.id);
    this.publish("containerd.events.TaskPaused", { containerId: c.id });
    return {};
  }

  private async resume(r: Msg): Promise<Msg> {
    const c = this.get(r.id);
    await c.sandbox.agent.resume(c.id);
    this.publish("containerd.events.TaskResumed", { containerId: c.id });
    return {};
  }

  private async update(r: Msg): Promise<Msg> {
    const c = this.get(r.id);
    const res = r.resources as AnyValue | null;
    if (res?.value?.length)
      await c.sandbox.agent.update(c.id, JSON.parse(new TextDecoder().decode(res.value)));
    return {};
  }

  private async connect(r: Msg): Promise<Msg> {
    return { shimPid: process.pid, taskPid: this.containers.get(r.id)?.init.pid ?? 0, version: "runm" };
  }

  /** containerd asks after each Delete: the shim stays while its pod has containers. */
  private async shutdownTask(r: Msg): Promise<Msg> {
    if (this.containers.size > 0 && !r.now) return {};
    await this.close();
    setTimeout(() => this.deps.shutdown(), 10);
    return {};
  }

  /** Teardown on SIGTERM, a lost containerd or Shutdown(now): the VM must not outlive the shim. */
  async close(): Promise<void> {
    for (const c of this.containers.values()) c.events.abort();
    this.containers.clear();
    const sandbox = this.sandbox;
    this.sandbox = undefined;
    await sandbox?.shutdown();
    // A spare's VM nobody took (still warming, or its container never came).
    const spare = this.deps.spare;
    this.deps.spare = undefined;
    await (await spare?.sandbox)?.shutdown();
  }
}

/**
 * Whether the container has a UTS namespace of its own. One without (CRI's hostNetwork pods: the
 * node's) shares the VM's, whose hostname runc refuses to set: the spec's hostname is dropped.
 */
function ownUts(linux: { namespaces?: { type: string }[] } | undefined): boolean {
  return (linux?.namespaces ?? []).some((n) => n.type === "uts");
}

/**
 * Where runc would have put the container on the host, for its VMM (lib/sys/host-cgroup.ts): a
 * cgroupfs cgroupsPath; a systemd one is left to the shim's own cgroup (said once).
 */
function hostCgroupOf(linux: { cgroupsPath?: string } | undefined): string | undefined {
  if (!linux?.cgroupsPath) return undefined;
  const path = cgroupfsPath(linux.cgroupsPath);
  if (!path) log.info(`cgroupsPath ${linux.cgroupsPath} is systemd's: the VMM stays in the shim's cgroup`);
  return path;
}

type Namespaces = { namespaces?: { type: string; path?: string }[] } | undefined;

/** The named network namespace a pod's first container gives (CNI's), checked by podNetns. */
function podNetwork(linux: Namespaces): string | undefined {
  const path = networkNamespacePath(linux);
  return path ? podNetns(path).path : undefined;
}

/**
 * A pod's later container is in its VM's network, whatever it names: the pod's namespace again,
 * or a sibling's `/proc/PID/ns/net` (CRI names the pause container's). Anything else is refused.
 */
function checkJoinedNetwork(id: string, linux: Namespaces, pod: Sandbox, podPids: number[]): void {
  const ns = linux?.namespaces?.find((n) => n.type === "network");
  if (!ns?.path || joinsPodNetwork(ns, podPids)) return;
  let same = false;
  try {
    same = podNetns(ns.path).path === pod.podNetns;
  } catch {
    // not a named namespace: refused below
  }
  if (!same)
    throw invalidArgument(
      `container ${id} names network namespace ${ns.path}, which is not its pod's (${pod.podNetns ?? "the VM's own"})`,
      {
        hint: `a pod's containers share its network: name the pod's namespace or a container's /proc/PID/ns/net (PID one of ${podPids.join(", ")})`,
      },
    );
}

/**
 * The container joins the VM's network namespace instead of a new, empty one (or the pod's netns
 * on the host, which the VM's NIC took over): the VM is the isolation boundary, and published
 * ports, the host-loopback gateway and a CNI pod's address live on the VM's eth0. (Its net.*
 * sysctls the agent applies to the VM's network: agent/sys/sysctl.ts.)
 */
export function withVmNetwork(linux: { namespaces?: { type: string; path?: string }[] } | undefined) {
  if (!linux?.namespaces) return linux;
  return { ...linux, namespaces: linux.namespaces.filter((n) => n.type !== "network") };
}
