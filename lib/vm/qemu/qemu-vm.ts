// One QEMU micro-VM: launch, readiness, agent stream, teardown. See vm-interface.ts for the
// lifecycle contract this implements.
import { existsSync } from "node:fs";
import { createConnection } from "node:net";
import type { Duplex } from "node:stream";
import type { Subprocess } from "bun";
import { failedPrecondition, unavailable } from "../../errors.ts";
import { logger } from "../../log.ts";
import { waitForBoot } from "../boot-wait.ts";
import { registerCleanup } from "../cleanup.ts";
import { runmCmdlineWords } from "../cmdline.ts";
import { tailLines } from "../console-log.ts";
import { guardedSpawn, stopPid, writePidfile } from "../guarded-spawn.ts";
import { createRuntimeDir, type RuntimeDir } from "../runtime-dir.ts";
import { BootTimeline } from "../timeline.ts";
import type { HasHostPids, Pausable, ReadyCheck, Vm, VmConfig } from "../vm-interface.ts";
import type { Accel } from "./accel.ts";
import { type QemuPaths, qemuArgv } from "./argv.ts";
import { hostTscKhz } from "./host-tsc.ts";
import { Qmp } from "./qmp.ts";
import { startVirtiofsd } from "./virtiofsd.ts";

const log = logger("qemu");

export class QemuVm implements Vm, HasHostPids, Pausable {
  readonly id: string;
  readonly runtimeDir: string;
  readonly consolePath: string;
  readonly agentSocket: string;
  private readonly rt: RuntimeDir;
  private readonly paths: QemuPaths;
  private proc: Subprocess | undefined;
  private daemons: Subprocess[] = [];
  private unregister: (() => void) | undefined;
  private shutdownOnce: Promise<void> | undefined;
  private startedOnce = false;

  constructor(
    readonly config: VmConfig,
    private readonly qemu: string,
    private readonly accel: Accel,
  ) {
    this.id = config.id;
    this.rt = createRuntimeDir(config.id);
    this.runtimeDir = this.rt.dir;
    this.consolePath = this.rt.consoleLog;
    this.paths = {
      consoleLog: this.rt.consoleLog,
      pidfile: this.rt.vmmPidfile,
      agentSocket: this.rt.agentSocket,
      qmpSocket: this.rt.socket("qmp.sock"),
      fsSockets: Object.fromEntries(config.shares.map((s) => [s.tag, this.rt.socket(`fs-${s.tag}.sock`)])),
    };
    this.agentSocket = this.paths.agentSocket;
    // Registered from configure on: even a VM that never starts has a dir to remove.
    this.unregister = registerCleanup({
      name: `vm ${this.id}`,
      run: () => this.shutdown(),
      runSync: () => this.shutdownSync(),
    });
  }

  hostPids(): number[] {
    return [this.proc, ...this.daemons]
      .filter((p): p is Subprocess => p !== undefined && p.exitCode === null && !p.killed)
      .map((p) => p.pid);
  }

  async start(ready: ReadyCheck): Promise<BootTimeline> {
    if (this.startedOnce) throw failedPrecondition(`VM ${this.id} was already started`);
    if (this.shutdownOnce) throw failedPrecondition(`VM ${this.id} was shut down`);
    this.startedOnce = true;
    const tl = new BootTimeline();
    if (this.config.shareKind === "virtiofs") {
      for (const s of this.config.shares) {
        const socket = this.paths.fsSockets[s.tag] as string;
        this.daemons.push(await startVirtiofsd(s, socket, this.rt.file(`virtiofsd-${s.tag}.log`)));
      }
    }
    const argv = qemuArgv(this.config, this.paths, {
      qemu: this.qemu,
      accel: this.accel,
      tscKhz: hostTscKhz(),
      runmWords: runmCmdlineWords(this.config),
    });
    log.debug(argv.join(" "));
    this.proc = guardedSpawn(argv, {
      stdio: this.config.console === "terminal" ? "inherit" : "ignore",
      logPath: this.rt.file("qemu.log"),
    });
    tl.mark("launch");
    // Our own pidfile, the moment QEMU exists (setpriv execs, so this PID is QEMU's). QEMU's
    // -pidfile is written only after its setup, which leaves a window for a second runm.
    writePidfile(this.paths.pidfile, this.proc.pid);
    await waitForBoot({
      vm: this,
      ready,
      timeline: tl,
      vmmExited: this.exited(),
      vmmLog: this.rt.file("qemu.log"),
      vmmName: "qemu",
      timeoutMs: this.config.bootTimeoutMs,
    });
    tl.mark("ready");
    return tl;
  }

  async openAgentStream(): Promise<Duplex> {
    if (!this.proc) throw failedPrecondition(`VM ${this.id} is not started`);
    const path = this.paths.agentSocket;
    for (let i = 0; !existsSync(path); i++) {
      if (this.proc.exitCode !== null || i > 1000) throw unavailable(`VM ${this.id} has no agent socket`);
      await Bun.sleep(5);
    }
    const sock = createConnection(path);
    await new Promise<void>((resolve, reject) => {
      sock.once("connect", resolve);
      sock.once("error", (e) =>
        reject(unavailable(`cannot connect to the agent of VM ${this.id}`, { cause: e })),
      );
    });
    return sock;
  }

  consoleTail(n = 20): string[] {
    return tailLines(this.consolePath, n);
  }

  exited(): Promise<number | null> {
    if (!this.proc) return Promise.resolve(null);
    return this.proc.exited.then(() => this.proc?.exitCode ?? null);
  }

  private async qmp<T>(fn: (q: Qmp) => Promise<T>): Promise<T> {
    const q = await Qmp.connect(this.paths.qmpSocket);
    try {
      return await fn(q);
    } finally {
      q.close();
    }
  }

  async pause(): Promise<void> {
    await this.qmp((q) => q.execute("stop"));
  }

  async resume(): Promise<void> {
    await this.qmp((q) => q.execute("cont"));
  }

  shutdown(): Promise<void> {
    this.shutdownOnce ??= (async () => {
      const procs = [this.proc, ...this.daemons].filter((p): p is Subprocess => p !== undefined);
      // QEMU first (SIGTERM makes it exit at once), then its daemons, which exit with it anyway.
      for (const p of procs) await stopPid(p.pid, 2000);
      await Promise.all(procs.map((p) => p.exited));
      this.rt.remove();
      this.unregister?.();
      this.unregister = undefined;
    })();
    return this.shutdownOnce;
  }

  private shutdownSync(): void {
    for (const p of [this.proc, ...this.daemons]) {
      if (p && p.exitCode === null) {
        try {
          process.kill(p.pid, "SIGKILL");
        } catch {
          // gone
        }
      }
    }
    this.rt.remove();
  }
}
