// One QEMU micro-VM: launch, readiness, pause. The lifecycle common to every driver (runtime dir,
// guards, agent socket, teardown) is ManagedVm's; see vm-interface.ts for the contract.
import type { Subprocess } from "bun";
import { logger } from "../../log.ts";
import { waitForBoot } from "../boot-wait.ts";
import { runmCmdlineWords } from "../cmdline.ts";
import { guardedSpawn, writePidfile } from "../guarded-spawn.ts";
import { ManagedVm } from "../managed-vm.ts";
import type { BootTimeline } from "../timeline.ts";
import type { Pausable, ReadyCheck, VmConfig } from "../vm-interface.ts";
import type { Accel } from "./accel.ts";
import { type QemuPaths, qemuArgv } from "./argv.ts";
import { hostTscKhz } from "./host-tsc.ts";
import { Qmp } from "./qmp.ts";
import { startVirtiofsd } from "./virtiofsd.ts";

const log = logger("qemu");

export class QemuVm extends ManagedVm implements Pausable {
  private readonly paths: QemuPaths;
  private proc: Subprocess | undefined;
  private daemons: Subprocess[] = [];
  protected readonly stopGraceMs = 2000;

  constructor(
    config: VmConfig,
    private readonly qemu: string,
    private readonly accel: Accel,
  ) {
    super(config);
    this.paths = {
      consoleLog: this.rt.consoleLog,
      pidfile: this.rt.vmmPidfile,
      agentSocket: this.rt.agentSocket,
      qmpSocket: this.rt.socket("qmp.sock"),
      fsSockets: Object.fromEntries(config.shares.map((s) => [s.tag, this.rt.socket(`fs-${s.tag}.sock`)])),
    };
  }

  protected vmm(): Subprocess | undefined {
    return this.proc;
  }

  /** virtiofsd daemons: they exit with QEMU anyway. */
  protected helpers(): Subprocess[] {
    return this.daemons;
  }

  protected async boot(ready: ReadyCheck, tl: BootTimeline): Promise<void> {
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
}
