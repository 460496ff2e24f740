// The QEMU command line for one runm VM, as a pure function of its config so it is unit-tested
// argument by argument. The line is design.md §3's fast TCG line: microvm, `-cpu max`, a PVH
// vmlinux, mmio virtio devices only, nothing QEMU adds by default.
import { AGENT_PORT_NAME, GUEST_HOST_LOOPBACK } from "../../constants.ts";
import type { VmConfig } from "../vm-interface.ts";
import type { Accel } from "./accel.ts";

export interface QemuPaths {
  consoleLog: string;
  /** Written by runm itself at spawn (qemu-vm.ts), not by QEMU's -pidfile. */
  pidfile: string;
  agentSocket: string;
  qmpSocket: string;
  /** vhost-user socket of each virtio-fs share's virtiofsd, by tag. */
  fsSockets: Record<string, string>;
}

export interface QemuLine {
  qemu: string;
  accel: Accel;
  /** Host TSC in kHz, or null to leave the guest to calibrate. */
  tscKhz: number | null;
  /** The runm words of the cmdline (cmdline.ts). */
  runmWords: string[];
}

export function kernelCmdline(line: QemuLine): string {
  const words = ["console=ttyS0", "panic=-1", "reboot=t"];
  if (line.tscKhz) words.push(`tsc_early_khz=${line.tscKhz}`);
  return [...words, ...line.runmWords].join(" ");
}

function consoleArgs(config: VmConfig, paths: QemuPaths): string[] {
  if (config.console === "terminal") {
    // The console on our terminal and in the log; Ctrl-A x quits, Ctrl-C goes to the guest.
    return [
      "-chardev",
      `stdio,id=con,mux=on,signal=off,logfile=${paths.consoleLog}`,
      "-serial",
      "chardev:con",
      "-mon",
      "chardev=con,mode=readline",
    ];
  }
  return ["-chardev", `file,id=con,path=${paths.consoleLog}`, "-serial", "chardev:con"];
}

function shareArgs(config: VmConfig, paths: QemuPaths): string[] {
  const out: string[] = [];
  config.shares.forEach((s, i) => {
    if (config.shareKind === "virtiofs") {
      const sock = paths.fsSockets[s.tag];
      if (!sock) throw new Error(`no virtiofsd socket for share ${s.tag}`);
      out.push("-chardev", `socket,id=vfs${i},path=${sock}`);
      out.push("-device", `vhost-user-fs-device,chardev=vfs${i},tag=${s.tag}`);
    } else {
      // passthrough keeps the host's owners and modes as they are (runm runs as root);
      // readonly=on makes QEMU itself refuse writes, whatever the guest mounts.
      const ro = s.readOnly ? ",readonly=on" : "";
      out.push("-fsdev", `local,id=fs${i},path=${s.hostPath},security_model=passthrough${ro}`);
      out.push("-device", `virtio-9p-device,fsdev=fs${i},mount_tag=${s.tag}`);
    }
  });
  return out;
}

function memoryArgs(config: VmConfig): string[] {
  const m = ["-m", `${config.memoryMiB}M`];
  if (config.shareKind !== "virtiofs" || config.shares.length === 0) return m;
  // vhost-user needs guest RAM the daemon can map; microvm's mmio transport must be modern.
  return [
    ...m,
    "-object",
    `memory-backend-memfd,id=mem,size=${config.memoryMiB}M,share=on`,
    "-numa",
    "node,memdev=mem",
    "-global",
    "virtio-mmio.force-legacy=false",
  ];
}

function netArgs(config: VmConfig): string[] {
  // restrict=on: the guest can reach nothing (not the host, not the outside); only the explicit
  // hostfwd rules, bound to host 127.0.0.1, let the host reach guest ports, and each guestfwd
  // rule lets the guest reach one host loopback port through the gateway (slirp runs the command
  // per connection, so every connection gets its own socat to 127.0.0.1:PORT).
  const fwds = config.ports.map((p) => `,hostfwd=tcp:127.0.0.1:${p.hostPort}-:${p.guestPort}`).join("");
  const back = (config.hostLoopbackPorts ?? [])
    .map((p) => `,guestfwd=tcp:${GUEST_HOST_LOOPBACK}:${p}-cmd:socat STDIO TCP:127.0.0.1:${p}`)
    .join("");
  return ["-netdev", `user,id=net0,restrict=on${fwds}${back}`, "-device", "virtio-net-device,netdev=net0"];
}

export function qemuArgv(config: VmConfig, paths: QemuPaths, line: QemuLine): string[] {
  return [
    line.qemu,
    "-name",
    `runm-${config.id}`,
    "-accel",
    line.accel,
    "-cpu",
    line.accel === "kvm" ? "host" : "max",
    "-machine",
    "microvm",
    "-smp",
    String(config.cpus),
    ...memoryArgs(config),
    "-nodefaults",
    "-no-user-config",
    "-nographic",
    "-no-reboot",
    "-kernel",
    config.kernel,
    "-initrd",
    config.initrd,
    "-append",
    kernelCmdline(line),
    ...consoleArgs(config, paths),
    "-qmp",
    `unix:${paths.qmpSocket},server=on,wait=off`,
    "-device",
    "virtio-serial-device",
    "-chardev",
    `socket,id=agent,path=${paths.agentSocket},server=on,wait=off`,
    "-device",
    `virtserialport,chardev=agent,name=${AGENT_PORT_NAME}`,
    "-drive",
    `if=none,id=mbin,file=${config.mbinDisk},format=raw,readonly=on`,
    "-device",
    "virtio-blk-device,drive=mbin",
    ...shareArgs(config, paths),
    ...netArgs(config),
    "-device",
    "virtio-rng-device",
  ];
}
