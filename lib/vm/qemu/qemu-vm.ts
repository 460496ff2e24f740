// One QEMU micro-VM: launch (always inside its jail: jail.ts), readiness, pause, snapshot. The
// lifecycle common to every driver (runtime dir, guards, agent socket, teardown) is ManagedVm's;
// see vm-interface.ts for the contract.
import { closeSync, existsSync, fchownSync, ftruncateSync, openSync } from "node:fs";
import type { Subprocess } from "bun";
import { GUEST_SHARE_ROOT, SHARE_TAGS } from "../../constants.ts";
import { failedPrecondition } from "../../errors.ts";
import { logger } from "../../log.ts";
import type { GuestNetwork } from "../../net/guest-network.ts";
import { RING_BYTES, RING_FILE_NAME } from "../../stdio-ring-file.ts";
import { HostCgroup, joinCgroupArgv } from "../../sys/host-cgroup.ts";
import { waitForBoot } from "../boot-wait.ts";
import { runmCmdlineWords } from "../cmdline.ts";
import { guardedSpawn, writePidfile } from "../guarded-spawn.ts";
import { ManagedVm } from "../managed-vm.ts";
import type { BootTimeline } from "../timeline.ts";
import type {
  GuestShareMount,
  HotShareable,
  Pausable,
  ReadyCheck,
  Snapshottable,
  VmConfig,
  VmShare,
} from "../vm-interface.ts";
import type { Accel } from "./accel.ts";
import { AGENT_CHARDEVS, type QemuPaths, qemuArgv } from "./argv.ts";
import { hostTscKhz } from "./host-tsc.ts";
import { HotShares } from "./hot-shares.ts";
import { JAIL, type JailBind, jailArgv, VMM_CAPS, VMM_PASSTHROUGH_CAPS } from "./jail.ts";
import { receiveMigration } from "./migration.ts";
import { bareTap, type PodNetwork, podNetns, unwirePodNetwork, wirePodNetwork } from "./pod-network.ts";
import { Qmp } from "./qmp.ts";
import { VIRTIOFSD, virtiofsdArgv } from "./virtiofsd.ts";
import { vmmUser } from "./vmm-user.ts";

const log = logger("qemu");
/** The state file's fd in QEMU (stdin, stdout, stderr, then this). */
const INCOMING_FD = 3;
/** How long a snapshot waits for the host's agent connections to close (grpc-js closes lazily). */
const DISCONNECT_WAIT_MS = 30_000;
/** After the host disconnects, the time the guest agent takes to go back to waiting for a host. */
const GUEST_SETTLE_MS = 300;

export class QemuVm extends ManagedVm implements Pausable, Snapshottable, HotShareable {
  private proc: Subprocess | undefined;
  /** Made at launch; removed with the runtime dir (RuntimeDir.remove detaches its mounts first). */
  private hot: HotShares | undefined;
  /** A pod's CNI network, wired in its namespace at launch and taken back after the VMM stops. */
  private podNet: PodNetwork | undefined;
  /** The host cgroup the VMM was started in (config.hostCgroup), removed after it stops. */
  private cgroup: HostCgroup | undefined;
  /** unshare ignores SIGTERM; the VM holds nothing a graceful stop would save. */
  protected readonly stopGraceMs = 0;

  constructor(
    config: VmConfig,
    private readonly qemu: string,
    private readonly accel: Accel,
  ) {
    super(config);
  }

  protected vmm(): Subprocess | undefined {
    return this.proc;
  }

  /** virtiofsd runs inside the jail's PID namespace and dies with the VMM. */
  protected helpers(): Subprocess[] {
    return [];
  }

  shareMounts(): GuestShareMount[] {
    if (this.config.shareKind === "virtiofs")
      return [{ fstype: "virtiofs", tag: SHARE_TAGS.virtiofs, target: GUEST_SHARE_ROOT, readOnly: false }];
    return [
      { fstype: "9p", tag: SHARE_TAGS.ro, target: `${GUEST_SHARE_ROOT}/ro`, readOnly: true },
      { fstype: "9p", tag: SHARE_TAGS.rw, target: `${GUEST_SHARE_ROOT}/rw`, readOnly: false },
    ];
  }

  addShare(share: VmShare): void {
    if (!this.hot) throw failedPrecondition(`VM ${this.id} was started without hot shares`);
    this.hot.add(share);
  }

  removeShare(name: string): void {
    if (!this.hot) throw failedPrecondition(`VM ${this.id} was started without hot shares`);
    this.hot.remove(name);
  }

  /** The stdio channel's bulk ring (lib/stdio-ring-file.ts): made at launch, in the runtime dir. */
  get stdioRing(): string {
    return this.rt.file("stdio.ring");
  }

  /** An empty ring the VMM's user can write, shown in the writable share (jailBinds). */
  private makeStdioRing(): void {
    const fd = openSync(this.stdioRing, "wx", 0o600);
    try {
      ftruncateSync(fd, RING_BYTES);
      const u = vmmUser();
      fchownSync(fd, u.uid, u.gid);
    } finally {
      closeSync(fd);
    }
  }

  override guestNetwork(): GuestNetwork | undefined {
    return this.podNet?.guest;
  }

  protected override releaseHost(): void {
    if (this.podNet) unwirePodNetwork(this.podNet.netns.name);
    this.podNet = undefined;
    this.cgroup?.remove();
    this.cgroup = undefined;
  }

  /** The paths as QEMU sees them, inside the jail. */
  private innerPaths(): QemuPaths {
    const boot = this.config.boot ?? { kind: "cold" };
    return {
      kernel: JAIL.kernel,
      initrd: JAIL.initrd,
      mbinDisk: JAIL.mbinDisk,
      consoleLog: this.rt.consoleLog,
      agentSocket: this.rt.agentSocket,
      qmpSocket: this.rt.socket("qmp.sock"),
      fsSocket: this.rt.socket("fs.sock"),
      shareRoot: JAIL.shareRoot,
      memoryFile: boot.kind === "cold" ? undefined : JAIL.memoryFile,
      podTap: this.podNet?.tap,
    };
  }

  private jailBinds(): JailBind[] {
    const c = this.config;
    const binds: JailBind[] = [
      { inner: this.rt.dir, host: this.rt.dir, writable: true },
      { inner: this.rt.socketDir, host: this.rt.socketDir, writable: true },
      { inner: JAIL.kernel, host: c.kernel, writable: false },
      { inner: JAIL.initrd, host: c.initrd, writable: false },
      { inner: JAIL.mbinDisk, host: c.mbinDisk, writable: false },
      { inner: `${JAIL.shareRoot}/rw/${RING_FILE_NAME}`, host: this.stdioRing, writable: true },
    ];
    // QEMU 7.2 opens a file memory backend read-write even to map it privately (docs/SECURITY.md).
    if (c.boot && c.boot.kind !== "cold")
      binds.push({ inner: JAIL.memoryFile, host: c.boot.memoryFile, writable: true });
    if (this.accel === "kvm") binds.push({ inner: "/dev/kvm", host: "/dev/kvm", writable: true });
    // The pod's tap is opened through the tun device (the tap is the VMM user's: no privilege).
    if (this.podNet) binds.push({ inner: "/dev/net/tun", host: "/dev/net/tun", writable: true });
    return binds;
  }

  protected async boot(ready: ReadyCheck, tl: BootTimeline): Promise<void> {
    if (process.getuid?.() !== 0)
      throw failedPrecondition(
        "runm needs root on Linux: it jails every VMM (namespaces, an unprivileged user)",
        {
          hint: "run it as root (sudo)",
        },
      );
    const c = this.config;
    if (c.podNetns) {
      const ns = podNetns(c.podNetns);
      this.podNet = c.bareTap ? await bareTap(ns, vmmUser()) : await wirePodNetwork(ns, vmmUser());
      // A pod template's clone has a tap NIC, which needs a CNI interface behind it.
      if (!this.podNet && c.boot?.kind === "restore")
        throw failedPrecondition(`${c.podNetns} has no CNI interface for the pod template's tap`);
      if (!this.podNet) log.info(`VM ${this.id}: ${c.podNetns} has no CNI interface; the user-mode network`);
    }
    const inner = this.innerPaths();
    const vfs = c.shareKind === "virtiofs";
    if (vfs && !existsSync(VIRTIOFSD))
      throw failedPrecondition(`${VIRTIOFSD} not found (needed for virtio-fs shares)`, {
        hint: "install it with: apt-get install qemu-system-common, or use 9p shares",
      });
    const qemu = qemuArgv(c, inner, {
      qemu: this.qemu,
      accel: this.accel,
      tscKhz: hostTscKhz(),
      runmWords: runmCmdlineWords(c),
      sandbox: true,
    });
    this.makeStdioRing();
    if (c.hotShares) {
      const hot = new HotShares(this.rt.mkdir("hot"));
      hot.prepare();
      this.hot = hot; // only once both roots are ready to take shares
    }
    if (c.hostCgroup) this.cgroup = HostCgroup.create(c.hostCgroup);
    const jailed = jailArgv(
      {
        hot: this.hot?.roots,
        netns: this.podNet?.netns.path,
        root: this.rt.mkdir("root"),
        user: vmmUser(),
        caps: c.shareOwnership === "passthrough" ? VMM_PASSTHROUGH_CAPS : VMM_CAPS,
        binds: this.jailBinds(),
        shares: c.shares,
        virtiofsd: vfs ? virtiofsdArgv(inner.fsSocket, JAIL.shareRoot) : undefined,
        virtiofsdSocket: vfs ? inner.fsSocket : undefined,
      },
      qemu,
    );
    // Into the host cgroup first, so the jail and QEMU are born there.
    const argv = this.cgroup ? [...joinCgroupArgv(this.cgroup.procsFiles()), ...jailed] : jailed;
    log.debug(`jailed: ${qemu.join(" ")}`);
    const stateFd = c.boot?.kind === "restore" ? openSync(c.boot.stateFile, "r") : undefined;
    try {
      this.proc = guardedSpawn(argv, {
        stdio: c.console === "terminal" ? "inherit" : "ignore",
        logPath: this.rt.file("qemu.log"),
        extraFds: stateFd === undefined ? [] : [stateFd],
      });
    } finally {
      if (stateFd !== undefined) closeSync(stateFd);
    }
    tl.mark("launch");
    // Our own pidfile, the moment the jail exists (setpriv execs, so this PID is unshare's, whose
    // death takes the VMM with it). QEMU's -pidfile would be written only after its setup.
    writePidfile(this.rt.vmmPidfile, this.proc.pid);
    if (c.boot?.kind === "restore") await this.restore();
    await waitForBoot({
      vm: this,
      ready,
      timeline: tl,
      vmmExited: this.exited(),
      vmmLog: this.rt.file("qemu.log"),
      vmmName: "qemu",
      timeoutMs: c.bootTimeoutMs,
    });
  }

  /**
   * Load the template's device state from the fd QEMU was given (x-ignore-shared: RAM is the
   * memory file already mapped), then run the guest (it was saved paused, and stays so).
   */
  private async restore(): Promise<void> {
    const t0 = performance.now();
    await this.qmp(async (q) => {
      log.debug(`restore: QMP up after ${(performance.now() - t0).toFixed(0)} ms`);
      await q.execute("migrate-set-capabilities", {
        capabilities: [{ capability: "x-ignore-shared", state: true }],
      });
      await q.execute("migrate-incoming", { uri: `fd:${INCOMING_FD}` });
      await q.migrationDone(`restoring VM ${this.id}`);
      log.debug(`restore: state loaded after ${(performance.now() - t0).toFixed(0)} ms`);
      await q.execute("cont");
    });
  }

  private async qmp<T>(fn: (q: Qmp) => Promise<T>): Promise<T> {
    const q = await Qmp.connect(this.rt.socket("qmp.sock"), () => this.proc?.exitCode !== null);
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

  /**
   * Stop the guest and save its device state (RAM stays in the shared memory file: the VM was
   * started with x-ignore-shared). QEMU streams to a unix socket in its jail, where runm writes it
   * to `stateFile`: its seccomp filter forbids the `exec:` transport.
   */
  async snapshot(stateFile: string): Promise<void> {
    if (this.config.boot?.kind !== "template")
      throw failedPrecondition(`VM ${this.id} was not started as a template`);
    const host = this.rt.socket("migrate.sock");
    const received = receiveMigration(host, stateFile);
    try {
      await this.qmp(async (q) => {
        await waitAgentDisconnected(q, this.id);
        await q.execute("migrate-set-capabilities", {
          capabilities: [{ capability: "x-ignore-shared", state: true }],
        });
        await q.execute("stop");
        await q.execute("migrate", { uri: `unix:${host}` });
        await q.migrationDone(`the snapshot of VM ${this.id}`);
      });
      await received.done;
    } finally {
      received.close();
    }
  }
}

/**
 * Wait until QEMU has reported no host connection on the agent's chardevs for GUEST_SETTLE_MS (the
 * guest agent's time to see the hang-up and go back to waiting), checked last just before the
 * caller stops the guest. A template snapshotted with a connection open records its virtio-serial
 * port as host-connected, so every clone's agent keeps serving a session whose host is gone and
 * never answers the clone's own (seen here: after the host's close and a fixed 300 ms, 2 of 4
 * templates still showed the agent chardev connected, and all their clones hung).
 */
async function waitAgentDisconnected(q: Qmp, id: string): Promise<void> {
  const began = Date.now();
  let closedSince: number | undefined;
  for (;;) {
    const devs = (await q.execute("query-chardev")) as { label: string; filename: string }[];
    const open = devs.filter(
      (d) =>
        Object.values<string>(AGENT_CHARDEVS).includes(d.label) && !d.filename.startsWith("disconnected:"),
    );
    const now = Date.now();
    if (open.length) {
      if (closedSince !== undefined)
        log.debug(`VM ${id}: the host reconnected ${open.map((d) => d.label).join(", ")}`);
      closedSince = undefined;
    } else {
      closedSince ??= now;
      if (now - closedSince >= GUEST_SETTLE_MS) {
        log.debug(`VM ${id}: no host session for ${now - closedSince} ms (waited ${now - began} ms)`);
        return;
      }
    }
    if (now - began > DISCONNECT_WAIT_MS)
      throw failedPrecondition(
        `VM ${id}: the host still holds ${open.map((d) => d.label).join(", ")} after ${DISCONNECT_WAIT_MS} ms; not snapshotting a guest mid-session`,
      );
    await Bun.sleep(20);
  }
}
