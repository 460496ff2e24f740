// One container: its bundle, its init process (state machine in process/init-state.ts) and its
// execs (process/exec-state.ts). Public methods take the container's lock and delegate; exits
// arrive from the reaper at any time and only move a process to "stopped".
import { mkdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { failedPrecondition, invalidArgument, notFound } from "../lib/errors.ts";
import { writeFileAtomic } from "../lib/fs-atomic.ts";
import { joinsPodNamespace } from "../lib/oci/pod-namespaces.ts";
import { memoryEventsFile, oomKills } from "./cgroup.ts";
import type { EventBus } from "./events.ts";
import { execStateMachine } from "./process/exec-state.ts";
import { initStateMachine } from "./process/init-state.ts";
import { type ExitStatus, launch, ProcessHandle } from "./process/process.ts";
import type { Runc } from "./runc.ts";
import { PipeIo, type ProcessIo, TtyIo } from "./stdio.ts";
import type { FileWatcher } from "./sys/inotify.ts";
import type { Reaper } from "./sys/reaper.ts";
import { applyNetSysctls, takeNetSysctls } from "./sys/sysctl.ts";

export interface AgentContext {
  runc: Runc;
  reaper: Reaper;
  events: EventBus;
  /** Watches each container's memory.events for OOM kills. */
  files: FileWatcher;
  /** Bundles, pid files and console sockets live under here (tmpfs in the guest). */
  stateDir: string;
}

export interface StdioRequest {
  terminal: boolean;
  stdin: boolean;
}

export interface ProcessState {
  containerId: string;
  execId: string;
  pid: number;
  status: string;
  exitStatus: number;
  exitedAt: Date | undefined;
  terminal: boolean;
  bundle: string;
}

/**
 * Ids name paths under the agent's state dir (bundles, pid files): letters, digits, `_`, `.` and
 * `-`, not `.` or `..`, at most 128.
 */
export function checkId(what: string, id: string): void {
  if (!/^[\w.-]{1,128}$/.test(id) || id === "." || id === "..")
    throw invalidArgument(`bad ${what} id ${JSON.stringify(id)}`, {
      hint: "use up to 128 letters, digits, '_', '.' or '-' (not '.' or '..')",
    });
}

/**
 * A spec may name an existing namespace only to share one with a container of this VM (a pod:
 * lib/oci/pod-namespaces.ts). Refused here too, whatever the host checked.
 */
export function checkNamespaces(
  id: string,
  namespaces: { type: string; path?: string }[] | undefined,
  containerPids: number[],
): void {
  for (const ns of namespaces ?? []) {
    if (!ns.path || joinsPodNamespace(ns, containerPids)) continue;
    throw invalidArgument(`container ${id}: namespace path ${ns.path} is not one of this VM's containers'`, {
      hint: "a container may join only the pid, ipc or uts namespace of another container in its VM",
    });
  }
}

export const newIo = (s: StdioRequest): ProcessIo => (s.terminal ? new TtyIo() : new PipeIo(s.stdin));

class ExecProcess {
  readonly sm;
  readonly handle: ProcessHandle;
  constructor(
    readonly id: string,
    readonly processJson: string,
    io: ProcessIo,
  ) {
    this.sm = execStateMachine(id);
    this.handle = new ProcessHandle(io);
  }
}

export class Container {
  readonly sm;
  readonly init: ProcessHandle;
  readonly cgroupPath: string;
  private readonly execs = new Map<string, ExecProcess>();
  private lockChain: Promise<unknown> = Promise.resolve();
  private oomSeen = 0;
  private unwatchOom: () => void = () => {};

  private constructor(
    private readonly ctx: AgentContext,
    readonly id: string,
    readonly bundle: string,
    spec: { linux?: { cgroupsPath?: string } },
    io: ProcessIo,
  ) {
    this.sm = initStateMachine(id);
    this.init = new ProcessHandle(io);
    this.cgroupPath = spec.linux?.cgroupsPath ?? `/runm/${id}`;
  }

  /** Write the bundle and `runc create`; the init then waits in runc init for Start. */
  static async create(
    ctx: AgentContext,
    id: string,
    specJson: string,
    rootfs: string,
    stdio: StdioRequest,
    containerPids: number[],
  ) {
    checkId("container", id);
    let spec: Record<string, unknown> & {
      root?: { path?: string };
      process?: { terminal?: boolean };
      linux?: {
        cgroupsPath?: string;
        namespaces?: { type: string; path?: string }[];
        sysctl?: Record<string, string>;
      };
    };
    try {
      spec = JSON.parse(specJson);
    } catch (e) {
      throw invalidArgument(`container ${id}: spec is not JSON`, { cause: e });
    }
    if (!spec.process) throw invalidArgument(`container ${id}: spec has no process`);
    checkNamespaces(id, spec.linux?.namespaces, containerPids);
    // net.* sysctls go to the VM's network (runc would refuse them there: agent/sys/sysctl.ts).
    const sysctls = takeNetSysctls(spec.linux?.sysctl);
    applyNetSysctls(id, sysctls.net);
    if (spec.linux?.sysctl) spec.linux.sysctl = sysctls.rest;
    spec.process.terminal = stdio.terminal;
    if (rootfs) spec.root = { ...spec.root, path: rootfs };
    spec.linux = { ...spec.linux, cgroupsPath: spec.linux?.cgroupsPath ?? `/runm/${id}` };
    const bundle = join(ctx.stateDir, "bundles", id);
    await mkdir(bundle, { recursive: true });
    await writeFileAtomic(join(bundle, "config.json"), JSON.stringify(spec, null, 2));
    const c = new Container(ctx, id, bundle, spec, newIo(stdio));
    const pidFile = join(bundle, "init.pid");
    await ctx.reaper.whileLaunching(async () => {
      try {
        await launch(c.init.io, ctx.stateDir, (cs) =>
          ctx.runc.create(id, bundle, pidFile, c.init.io.childStdio(), cs),
        );
      } catch (e) {
        c.init.io.close();
        // runc may have left state (and a waiting init) behind: remove both.
        await ctx.runc.delete(id, true).catch(() => {});
        await rm(bundle, { recursive: true, force: true });
        throw e;
      }
      c.init.pid = Number(await readFile(pidFile, "utf8"));
      ctx.reaper.watch(c.init.pid, (e) => c.initExited(e));
    });
    // cgroup v2 notifies every memory.events change; v1 (host tests only) is read at the exit.
    const events = memoryEventsFile(c.cgroupPath);
    if (events) c.unwatchOom = ctx.files.watch(events, () => c.checkOom());
    ctx.events.publish({ type: "create", containerId: id, pid: c.init.pid });
    return c;
  }

  /** Serialize state-changing calls on this container. */
  private lock<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.lockChain.then(fn, fn);
    this.lockChain = next.catch(() => {});
    return next;
  }

  private exec(execId: string): ExecProcess {
    const p = this.execs.get(execId);
    if (!p) throw notFound(`exec ${execId} not found in container ${this.id}`);
    return p;
  }

  handleOf(execId: string): ProcessHandle {
    return execId ? this.exec(execId).handle : this.init;
  }

  start(execId: string): Promise<number> {
    return this.lock(() => (execId ? this.startExec(execId) : this.startInit()));
  }

  private async startInit(): Promise<number> {
    this.sm.assert("start");
    await this.ctx.runc.start(this.id, this.init.wait());
    if (this.sm.is("created")) this.sm.transition("running");
    this.ctx.events.publish({ type: "start", containerId: this.id, pid: this.init.pid });
    return this.init.pid;
  }

  addExec(execId: string, processJson: string, stdio: StdioRequest): Promise<void> {
    return this.lock(async () => {
      this.sm.assert("exec");
      checkId("exec", execId);
      if (this.execs.has(execId)) throw failedPrecondition(`exec ${execId} already exists in ${this.id}`);
      let proc: { terminal?: boolean };
      try {
        proc = JSON.parse(processJson);
      } catch (e) {
        throw invalidArgument(`exec ${execId}: process is not JSON`, { cause: e });
      }
      proc.terminal = stdio.terminal;
      this.execs.set(execId, new ExecProcess(execId, JSON.stringify(proc), newIo(stdio)));
      this.ctx.events.publish({ type: "exec_added", containerId: this.id, execId });
    });
  }

  private async startExec(execId: string): Promise<number> {
    this.sm.assert("exec");
    const p = this.exec(execId);
    p.sm.assert("start");
    const dir = join(this.bundle, "execs");
    await mkdir(dir, { recursive: true });
    const processFile = join(dir, `${execId}.json`);
    const pidFile = join(dir, `${execId}.pid`);
    await writeFileAtomic(processFile, p.processJson);
    await this.ctx.reaper.whileLaunching(async () => {
      await launch(p.handle.io, this.ctx.stateDir, (cs) =>
        this.ctx.runc.execDetached(this.id, processFile, pidFile, p.handle.io.childStdio(), cs),
      );
      p.handle.pid = Number(await readFile(pidFile, "utf8"));
      p.sm.transition("running");
      this.ctx.reaper.watch(p.handle.pid, (e) => {
        p.handle.markExited(e);
        p.sm.transition("stopped");
        this.ctx.events.publish(exitEvent(this.id, execId, p.handle.pid, e));
      });
    });
    this.ctx.events.publish({ type: "exec_started", containerId: this.id, execId, pid: p.handle.pid });
    return p.handle.pid;
  }

  kill(execId: string, signal: number, all: boolean): Promise<void> {
    return this.lock(async () => {
      if (execId) {
        const p = this.exec(execId);
        if (p.sm.is("stopped")) throw notFound(`exec ${execId} has already exited`);
        p.sm.assert("kill");
        process.kill(p.handle.pid, signal);
        return;
      }
      this.sm.assert("kill");
      if (this.sm.is("stopped")) throw notFound(`container ${this.id} has already exited`);
      await this.ctx.runc.kill(this.id, signal, all);
    });
  }

  /** Remove an exited exec, or the whole (stopped or never started) container. */
  delete(execId: string): Promise<ExitStatus & { pid: number }> {
    return this.lock(async () => {
      if (execId) {
        const p = this.exec(execId);
        p.sm.assert("delete");
        p.handle.io.close();
        p.sm.transition("deleted");
        this.execs.delete(execId);
        return { pid: p.handle.pid, ...(p.handle.exit ?? { status: 0, exitedAt: new Date(0) }) };
      }
      this.sm.assert("delete");
      await this.ctx.runc.delete(this.id, this.sm.is("created"));
      // A never-started init was killed by runc delete --force: collect its status.
      const exit = this.init.exit ?? (await this.init.wait());
      this.unwatchOom();
      this.init.io.close();
      for (const p of this.execs.values()) p.handle.io.close();
      this.sm.transition("deleted");
      await rm(this.bundle, { recursive: true, force: true });
      this.ctx.events.publish({
        type: "delete",
        containerId: this.id,
        pid: this.init.pid,
        exitStatus: exit.status,
      });
      return { pid: this.init.pid, ...exit };
    });
  }

  pause(): Promise<void> {
    return this.lock(async () => {
      this.sm.assert("pause");
      await this.ctx.runc.pause(this.id);
      this.sm.transition("paused");
      this.ctx.events.publish({ type: "paused", containerId: this.id });
    });
  }

  resume(): Promise<void> {
    return this.lock(async () => {
      this.sm.assert("resume");
      await this.ctx.runc.resume(this.id);
      if (this.sm.is("paused")) this.sm.transition("running");
      this.ctx.events.publish({ type: "resumed", containerId: this.id });
    });
  }

  update(resourcesJson: string): Promise<void> {
    return this.lock(async () => {
      this.sm.assert("update");
      try {
        JSON.parse(resourcesJson);
      } catch (e) {
        throw invalidArgument("resources are not JSON", { cause: e });
      }
      await this.ctx.runc.update(this.id, resourcesJson);
    });
  }

  async ps(): Promise<number[]> {
    this.sm.assert("ps");
    return this.ctx.runc.ps(this.id);
  }

  resize(execId: string, cols: number, rows: number): void {
    const sm = execId ? this.exec(execId).sm : this.sm;
    // A terminal resize racing the process's exit (ctr resizes right after start) is moot, not an error.
    if (sm.is("stopped")) return;
    sm.assert("resize");
    this.handleOf(execId).io.resize(cols, rows);
  }

  state(execId: string): ProcessState {
    const sm = execId ? this.exec(execId).sm : this.sm;
    const h = this.handleOf(execId);
    return {
      containerId: this.id,
      execId,
      pid: h.pid,
      status: sm.state as string,
      exitStatus: h.exit?.status ?? 0,
      exitedAt: h.exit?.exitedAt,
      terminal: h.io.terminal,
      bundle: this.bundle,
    };
  }

  /** Kill everything and remove the container (agent shutdown, failed host). */
  async destroy(): Promise<void> {
    this.unwatchOom();
    if (!this.sm.is("deleted")) {
      await this.ctx.runc.delete(this.id, true).catch(() => {});
      if (this.init.pid && !this.init.exit) await Promise.race([this.init.wait(), Bun.sleep(2000)]);
    }
    this.init.io.close();
    for (const p of this.execs.values()) p.handle.io.close();
    await rm(this.bundle, { recursive: true, force: true });
  }

  private initExited(e: ExitStatus): void {
    this.checkOom(); // an OOM kill is reported before the exit it caused
    this.unwatchOom();
    this.init.markExited(e);
    if (!this.sm.is("deleted")) this.sm.transition("stopped");
    this.ctx.events.publish(exitEvent(this.id, "", this.init.pid, e));
  }

  private checkOom(): void {
    const n = oomKills(this.cgroupPath);
    if (n > this.oomSeen) {
      this.oomSeen = n;
      this.ctx.events.publish({ type: "oom", containerId: this.id });
    }
  }
}

function exitEvent(containerId: string, execId: string, pid: number, e: ExitStatus) {
  return { type: "exit" as const, containerId, execId, pid, exitStatus: e.status, timestamp: e.exitedAt };
}
