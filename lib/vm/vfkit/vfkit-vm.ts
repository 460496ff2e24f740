// One vfkit micro-VM on macOS (Virtualization.framework), with gvproxy as its network. The
// lifecycle common to every driver is ManagedVm's; helpers run under the watchdog instead of
// PDEATHSIG.
import { existsSync } from "node:fs";
import type { Subprocess } from "bun";
import { unavailable } from "../../errors.ts";
import { waitForBoot } from "../boot-wait.ts";
import { runmCmdlineWords } from "../cmdline.ts";
import { tailLines } from "../console-log.ts";
import { ManagedVm } from "../managed-vm.ts";
import type { BootTimeline } from "../timeline.ts";
import { type GuestShareMount, guestSharePath, type ReadyCheck, type VmConfig } from "../vm-interface.ts";
import { type VfkitPaths, vfkitArgv } from "./argv.ts";
import { exposePorts, type GvproxyPaths, gvproxyArgv } from "./gvproxy.ts";
import { watchdogArgv } from "./watchdog.ts";

export interface VfkitTools {
  vfkit: string;
  gvproxy: string;
}

export class VfkitVm extends ManagedVm {
  private readonly paths: VfkitPaths;
  private readonly net: GvproxyPaths;
  private gvproxy: Subprocess | undefined;
  private vfkit: Subprocess | undefined;
  protected readonly stopGraceMs = 3000;

  constructor(
    config: VmConfig,
    private readonly tools: VfkitTools,
  ) {
    super(config);
    this.paths = {
      consoleLog: this.rt.consoleLog,
      pidfile: this.rt.vmmPidfile,
      agentSocket: this.rt.agentSocket,
      netSocket: this.rt.socket("net.sock"),
    };
    this.net = {
      netSocket: this.paths.netSocket,
      servicesSocket: this.rt.socket("gvproxy.sock"),
      pidfile: this.rt.file("gvproxy.pid"),
      logFile: this.rt.file("gvproxy.log"),
    };
  }

  protected vmm(): Subprocess | undefined {
    return this.vfkit;
  }

  /** One virtio-fs device per share, tagged by its name, mounted at its place. */
  shareMounts(): GuestShareMount[] {
    return this.config.shares.map((s) => ({
      fstype: "virtiofs" as const,
      tag: s.name,
      target: guestSharePath(s),
      readOnly: s.readOnly,
    }));
  }

  /** The VM's network: stopped after the VM. */
  protected helpers(): Subprocess[] {
    return this.gvproxy ? [this.gvproxy] : [];
  }

  private spawn(argv: string[], log: string): Subprocess {
    const terminal = this.config.console === "terminal" && argv[0] === this.tools.vfkit;
    const out = terminal ? "inherit" : Bun.file(log);
    return Bun.spawn(watchdogArgv(process.pid, argv), {
      stdin: terminal ? "inherit" : "ignore",
      stdout: out,
      stderr: out,
    });
  }

  protected async boot(ready: ReadyCheck, tl: BootTimeline): Promise<void> {
    this.gvproxy = this.spawn(gvproxyArgv(this.tools.gvproxy, this.net), this.net.logFile);
    for (let i = 0; !existsSync(this.net.netSocket); i++) {
      if (i > 500)
        throw unavailable("gvproxy did not create its socket", { details: tailLines(this.net.logFile) });
      await Bun.sleep(10);
    }
    const vmmLog = this.rt.file("vfkit.log");
    this.vfkit = this.spawn(
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
  }
}
