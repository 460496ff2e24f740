// One vfkit micro-VM on macOS (Virtualization.framework), with gvproxy as its network. Same
// lifecycle as QemuVm (vm-interface.ts); helpers run under the watchdog instead of PDEATHSIG.
import { existsSync } from "node:fs";
import { createConnection } from "node:net";
import type { Duplex } from "node:stream";
import type { Subprocess } from "bun";
import { failedPrecondition, unavailable } from "../../errors.ts";
import { waitForBoot } from "../boot-wait.ts";
import { registerCleanup } from "../cleanup.ts";
import { runmCmdlineWords } from "../cmdline.ts";
import { tailLines } from "../console-log.ts";
import { stopPid } from "../guarded-spawn.ts";
import { createRuntimeDir, type RuntimeDir } from "../runtime-dir.ts";
import { BootTimeline } from "../timeline.ts";
import type { HasHostPids, ReadyCheck, Vm, VmConfig } from "../vm-interface.ts";
import { type VfkitPaths, vfkitArgv } from "./argv.ts";
import { exposePorts, type GvproxyPaths, gvproxyArgv } from "./gvproxy.ts";
import { watchdogArgv } from "./watchdog.ts";

export interface VfkitTools {
  vfkit: string;
  gvproxy: string;
}

export class VfkitVm implements Vm, HasHostPids {
  readonly id: string;
  readonly runtimeDir: string;
  readonly consolePath: string;
  readonly agentSocket: string;
  private readonly rt: RuntimeDir;
  private readonly paths: VfkitPaths;
  private readonly net: GvproxyPaths;
  private procs: Subprocess[] = [];
  private vmm: Subprocess | undefined;
  private unregister: (() => void) | undefined;
  private shutdownOnce: Promise<void> | undefined;
  private startedOnce = false;

  constructor(
    readonly config: VmConfig,
    private readonly tools: VfkitTools,
  ) {
    this.id = config.id;
    this.rt = createRuntimeDir(config.id);
    this.runtimeDir = this.rt.dir;
    this.consolePath = this.rt.consoleLog;
    this.paths = {
      consoleLog: this.rt.consoleLog,
      pidfile: this.rt.vmmPidfile,
      agentSocket: this.rt.agentSocket,
      netSocket: this.rt.socket("net.sock"),
    };
    this.agentSocket = this.paths.agentSocket;
    this.net = {
      netSocket: this.paths.netSocket,
      servicesSocket: this.rt.socket("gvproxy.sock"),
      pidfile: this.rt.file("gvproxy.pid"),
      logFile: this.rt.file("gvproxy.log"),
    };
    this.unregister = registerCleanup({
      name: `vm ${this.id}`,
      run: () => this.shutdown(),
      runSync: () => {
        for (const p of this.procs) if (p.exitCode === null) process.kill(p.pid, "SIGTERM");
        this.rt.remove();
      },
    });
  }

  private spawn(argv: string[], log: string): Subprocess {
    const terminal = this.config.console === "terminal" && argv[0] === this.tools.vfkit;
    const out = terminal ? "inherit" : Bun.file(log);
    const p = Bun.spawn(watchdogArgv(process.pid, argv), {
      stdin: terminal ? "inherit" : "ignore",
      stdout: out,
      stderr: out,
    });
    this.procs.push(p);
    return p;
  }

  hostPids(): number[] {
    return this.procs.filter((p) => p.exitCode === null).map((p) => p.pid);
  }

  async start(ready: ReadyCheck): Promise<BootTimeline> {
    if (this.startedOnce) throw failedPrecondition(`VM ${this.id} was already started`);
    this.startedOnce = true;
    const tl = new BootTimeline();
    this.spawn(gvproxyArgv(this.tools.gvproxy, this.net), this.net.logFile);
    for (let i = 0; !existsSync(this.net.netSocket); i++) {
      if (i > 500)
        throw unavailable("gvproxy did not create its socket", { details: tailLines(this.net.logFile) });
      await Bun.sleep(10);
    }
    const vmmLog = this.rt.file("vfkit.log");
    this.vmm = this.spawn(
      vfkitArgv(this.config, this.paths, this.tools.vfkit, runmCmdlineWords(this.config)),
      vmmLog,
    );
    tl.mark("launch");
    await waitForBoot({
      vm: this,
      ready,
      timeline: tl,
      vmmExited: this.exited(),
      vmmLog,
      vmmName: "vfkit",
      timeoutMs: this.config.bootTimeoutMs,
    });
    if (this.config.ports.length) await exposePorts(this.net.servicesSocket, this.config.ports);
    tl.mark("ready");
    return tl;
  }

  async openAgentStream(): Promise<Duplex> {
    const sock = createConnection(this.agentSocket);
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
    const p = this.vmm;
    return p ? p.exited.then(() => p.exitCode) : Promise.resolve(null);
  }

  shutdown(): Promise<void> {
    this.shutdownOnce ??= (async () => {
      // The VM first, then its network.
      for (const p of [...this.procs].reverse()) await stopPid(p.pid, 3000);
      await Promise.all(this.procs.map((p) => p.exited));
      this.rt.remove();
      this.unregister?.();
      this.unregister = undefined;
    })();
    return this.shutdownOnce;
  }
}
