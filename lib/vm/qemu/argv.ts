// The QEMU command line for one runm VM, as a pure function of its config so it is unit-tested
// argument by argument. The line is design.md §3's fast TCG line: microvm, `-cpu max`, a PVH
// vmlinux, mmio virtio devices only, nothing QEMU adds by default. An arm64 guest gets the same
// line on `-M virt` (its Image kernel, the PL011 console; virt has virtio-mmio slots too, so the
// devices are the very same). Every VM of one shape has the
// same devices in the same order (one share device whatever the shares), so any of them can be
// restored from that shape's template. Paths are the ones QEMU sees: inside its jail (jail.ts)
// they are short fixed names; every value is still escaped for QEMU's option syntax (qemuValue).
import {
  AGENT_PORT_NAME,
  type GuestArch,
  SHARE_TAGS,
  STDIO_PORT_NAME,
  stdioSocketFor,
} from "../../constants.ts";
import { invalidArgument } from "../../errors.ts";
import type { VmConfig } from "../vm-interface.ts";
import type { Accel } from "./accel.ts";

export interface QemuPaths {
  kernel: string;
  initrd: string;
  mbinDisk: string;
  consoleLog: string;
  agentSocket: string;
  qmpSocket: string;
  /** The directory holding every share (jail.ts stages each at <shareRoot>/{ro,rw}/<name>). */
  shareRoot: string;
  /** virtio-fs only: the vhost-user socket of the share's virtiofsd. */
  fsSocket: string;
  /** The template's memory file (boot "template" or "restore"). */
  memoryFile?: string;
  /** A pod network's tap (in the namespace QEMU runs in), instead of the user-mode network. */
  podTap?: string;
}

export interface QemuLine {
  qemu: string;
  accel: Accel;
  /** Host TSC in kHz, or null to leave the guest to calibrate. */
  tscKhz: number | null;
  /** The runm words of the cmdline (cmdline.ts). */
  runmWords: string[];
  /** QEMU's own seccomp filter (off only for unconfined runs that must spawn helpers). */
  sandbox: boolean;
}

/**
 * A value for a QEMU `key=value,...` option: a comma is written `,,` (QEMU's escape), so a path
 * holding `,path=/` stays one value. NUL and newlines are refused: no path of runm's has them.
 */
export function qemuValue(v: string, what = "a QEMU option value"): string {
  if (/[\0\n\r]/.test(v)) throw invalidArgument(`${what} holds a NUL or newline: ${JSON.stringify(v)}`);
  return v.replaceAll(",", ",,");
}

/** The serial console each machine has: microvm's 8250, virt's PL011. */
const CONSOLE: Record<GuestArch, string> = { x86_64: "ttyS0", arm64: "ttyAMA0" };

export function kernelCmdline(arch: GuestArch, line: Pick<QemuLine, "tscKhz" | "runmWords">): string {
  const words = [`console=${CONSOLE[arch]}`, "panic=-1", "reboot=t"];
  // The TSC is x86's; an arm64 guest reads the generic timer's frequency from the machine.
  if (line.tscKhz && arch === "x86_64") words.push(`tsc_early_khz=${line.tscKhz}`);
  return [...words, ...line.runmWords].join(" ");
}

function consoleArgs(config: VmConfig, paths: QemuPaths): string[] {
  const log = qemuValue(paths.consoleLog);
  if (config.console === "terminal") {
    // The console on our terminal and in the log; Ctrl-A x quits, Ctrl-C goes to the guest.
    return [
      "-chardev",
      `stdio,id=con,mux=on,signal=off,logfile=${log}`,
      "-serial",
      "chardev:con",
      "-mon",
      "chardev=con,mode=readline",
    ];
  }
  return ["-chardev", `file,id=con,path=${log}`, "-serial", "chardev:con"];
}

/**
 * The same share devices whatever the shares. 9p: the read-only shares on one device (passthrough:
 * exact owners, modes and symlinks; readonly=on, and each is a read-only mount in the jail, so the
 * host kernel refuses writes whatever QEMU does), the writable ones on another whose security
 * model is the sandbox's ShareOwnership (mapped-xattr by default: a file the guest makes setuid
 * or a device node stays a plain file of the VMM's user on the host). Each share is its own
 * mount, often of another filesystem: multidevs=remap keeps their inode numbers from colliding
 * in the guest. virtio-fs: one device over both (its daemon passes ownership through).
 */
function shareArgs(config: VmConfig, paths: QemuPaths): string[] {
  const root = qemuValue(paths.shareRoot);
  if (config.shareKind === "virtiofs") {
    return [
      "-chardev",
      `socket,id=vfs,path=${qemuValue(paths.fsSocket)}`,
      "-device",
      `vhost-user-fs-device,chardev=vfs,tag=${SHARE_TAGS.virtiofs}`,
    ];
  }
  const rwModel = config.shareOwnership === "passthrough" ? "passthrough" : "mapped-xattr";
  return [
    "-fsdev",
    `local,id=fsro,path=${root}/ro,security_model=passthrough,readonly=on,multidevs=remap`,
    "-device",
    `virtio-9p-device,fsdev=fsro,mount_tag=${SHARE_TAGS.ro}`,
    "-fsdev",
    `local,id=fsrw,path=${root}/rw,security_model=${rwModel},multidevs=remap`,
    "-device",
    `virtio-9p-device,fsdev=fsrw,mount_tag=${SHARE_TAGS.rw}`,
  ];
}

/**
 * Guest RAM: anonymous for a plain cold boot; a shared memfd for virtio-fs (its daemon maps it);
 * a file for templates, shared while the template boots (its snapshot then skips RAM:
 * x-ignore-shared) and mapped privately, copy-on-write, by every restored clone.
 */
function memoryArgs(config: VmConfig, paths: QemuPaths): string[] {
  const size = `size=${config.memoryMiB}M`;
  const boot = config.boot ?? { kind: "cold" };
  let backend: string | undefined;
  if (boot.kind !== "cold") {
    if (!paths.memoryFile) throw invalidArgument("a template or restore boot needs its memory file");
    const share = boot.kind === "template" ? "on" : "off";
    backend = `memory-backend-file,id=mem,${size},mem-path=${qemuValue(paths.memoryFile)},share=${share}`;
  } else if (config.shareKind === "virtiofs") {
    backend = `memory-backend-memfd,id=mem,${size},share=on`;
  }
  const m = ["-m", `${config.memoryMiB}M`];
  if (!backend) return m;
  return [...m, "-object", backend];
}

function netArgs(config: VmConfig, paths: QemuPaths): string[] {
  const nic = ["-device", "virtio-net-device,netdev=net0"];
  if (paths.podTap) {
    // A pod's CNI network: the tap runm made in the pod's namespace, where QEMU runs
    // (pod-network.ts); no helper scripts (QEMU may spawn nothing), no forwards (hostPort is CNI's).
    if (config.ports.length)
      throw invalidArgument("a VM on a pod network has no forwarded ports", {
        hint: "publish the pod's ports through CNI (hostPort, portmap)",
      });
    return ["-netdev", `tap,id=net0,ifname=${qemuValue(paths.podTap)},script=no,downscript=no`, ...nic];
  }
  // restrict=on: the guest can reach nothing (not the host, not the outside); only the explicit
  // hostfwd rules, bound to host 127.0.0.1, let the host reach guest ports. (A host loopback port
  // the guest may reach goes through the agent channel, not the network: lib/sandbox.)
  const fwds = config.ports.map((p) => `,hostfwd=tcp:127.0.0.1:${p.hostPort}-:${p.guestPort}`).join("");
  return ["-netdev", `user,id=net0,restrict=on${fwds}`, ...nic];
}

/**
 * QEMU's seccomp filter: no obsolete syscalls, no privilege changes, no new processes, no
 * scheduler or resource-limit changes.
 */
export const SANDBOX_ARGS = [
  "-sandbox",
  "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny",
];

/** Each arch's smallest machine with virtio-mmio transports. */
const MACHINE: Record<GuestArch, string> = { x86_64: "microvm", arm64: "virt" };

/**
 * The CPU model. Under TCG, `max` emulates everything QEMU can, less what is slow to emulate:
 * - on arm64 its pointer authentication uses the architected QARMA cipher, costly on every call
 *   and return, so the guest gets QEMU's cheap implementation-defined one instead (pauth-impdef);
 * - on x86_64, ERMS and FSRM ("fast `rep movsb`") make the guest kernel's memcpy, copy_to_user and
 *   clear_page, and glibc's large memmove, use `rep movsb`/`rep stosb`, which TCG runs one byte
 *   per step. Without them the kernel uses `rep movsq` (8 bytes a step) and glibc vector loops:
 *   `perf` put 17 % of the vCPU thread in that one loop during a stdin transfer, and in-guest
 *   `cat | cat` of 200 MiB went from 230-270 to 350-490 MiB/s.
 * The model is part of the driver's identity, hence of every template's key.
 */
export function cpuArg(arch: GuestArch, accel: Accel): string {
  if (accel === "kvm") return "host";
  return arch === "arm64" ? "max,pauth-impdef=on" : "max,erms=off,fsrm=off";
}

function machineArgs(config: VmConfig): string[] {
  const boot = config.boot ?? { kind: "cold" };
  const backed = boot.kind !== "cold" || config.shareKind === "virtiofs";
  const machine = MACHINE[config.arch];
  // vhost-user needs modern mmio transports; a template and its clones must agree, so every
  // backed VM uses them.
  const out = ["-machine", backed ? `${machine},memory-backend=mem` : machine];
  if (backed) out.push("-global", "virtio-mmio.force-legacy=false");
  // A restore waits for QMP (qemu-vm.ts): x-ignore-shared must be set before the state is read,
  // and QEMU 7.2 has no command-line property for it.
  if (boot.kind === "restore") out.push("-incoming", "defer");
  return out;
}

/** The chardev ids of the agent's two channels (a snapshot waits until neither has a host). */
export const AGENT_CHARDEVS = { rpc: "agent", stdio: "stdio" } as const;

export function qemuArgv(config: VmConfig, paths: QemuPaths, line: QemuLine): string[] {
  return [
    line.qemu,
    "-name",
    `runm-${config.id}`,
    "-accel",
    line.accel,
    "-cpu",
    cpuArg(config.arch, line.accel),
    ...machineArgs(config),
    "-smp",
    String(config.cpus),
    ...memoryArgs(config, paths),
    "-nodefaults",
    "-no-user-config",
    "-nographic",
    "-no-reboot",
    ...(line.sandbox ? SANDBOX_ARGS : []),
    "-kernel",
    qemuValue(paths.kernel),
    "-initrd",
    qemuValue(paths.initrd),
    "-append",
    kernelCmdline(config.arch, line),
    ...consoleArgs(config, paths),
    "-qmp",
    `unix:${qemuValue(paths.qmpSocket)},server=on,wait=off`,
    "-device",
    "virtio-serial-device",
    "-chardev",
    `socket,id=${AGENT_CHARDEVS.rpc},path=${qemuValue(paths.agentSocket)},server=on,wait=off`,
    "-device",
    `virtserialport,chardev=${AGENT_CHARDEVS.rpc},name=${AGENT_PORT_NAME}`,
    "-chardev",
    `socket,id=${AGENT_CHARDEVS.stdio},path=${qemuValue(stdioSocketFor(paths.agentSocket))},server=on,wait=off`,
    "-device",
    `virtserialport,chardev=${AGENT_CHARDEVS.stdio},name=${STDIO_PORT_NAME}`,
    "-drive",
    `if=none,id=mbin,file=${qemuValue(paths.mbinDisk)},format=raw,readonly=on`,
    "-device",
    "virtio-blk-device,drive=mbin",
    ...shareArgs(config, paths),
    ...netArgs(config, paths),
    "-device",
    "virtio-rng-device",
  ];
}
