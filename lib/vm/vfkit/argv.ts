// The vfkit command line (macOS Virtualization.framework) for one runm VM, as a pure function so
// unit tests check it exactly. Flag syntax from crc-org/vfkit doc/usage.md: `--bootloader linux`,
// `--device` entries with comma-separated options. The agent listens on vsock; vfkit's `connect`
// mode exposes that guest port as a unix socket the host connects to.
import { AGENT_VSOCK_PORT, STDIO_VSOCK_PORT, stdioSocketFor } from "../../constants.ts";
import { invalidArgument } from "../../errors.ts";
import type { VmConfig } from "../vm-interface.ts";

export interface VfkitPaths {
  consoleLog: string;
  pidfile: string;
  agentSocket: string;
  /** unixgram socket gvproxy listens on for the VM's network traffic. */
  netSocket: string;
}

/** A fixed, locally administered MAC: gvproxy's DHCP hands the guest its one address. */
export const GUEST_MAC = "5a:94:ef:e4:0c:ee";

/**
 * A value inside one of vfkit's `--device kind,key=value,...` options. vfkit splits them on commas
 * with no escape, so a value holding a comma (or a quote or newline, which would end the cmdline
 * quoting) cannot be expressed: it is refused, naming the value.
 */
export function vfkitValue(v: string, what: string): string {
  if (/[,"\0\n\r]/.test(v))
    throw invalidArgument(
      `${what} ${JSON.stringify(v)} holds a comma, quote or newline, which vfkit cannot take`,
      {
        hint: "rename or move it (vfkit's --device options have no escape for these)",
      },
    );
  return v;
}

export function vfkitCmdline(runmWords: string[]): string {
  return ["console=hvc0", "panic=-1", ...runmWords].join(" ");
}

export function vfkitArgv(config: VmConfig, paths: VfkitPaths, vfkit: string, runmWords: string[]): string[] {
  const dev = (d: string) => ["--device", d];
  const argv = [
    vfkit,
    "--cpus",
    String(config.cpus),
    "--memory",
    String(config.memoryMiB),
    "--bootloader",
    `linux,kernel=${vfkitValue(config.kernel, "kernel")},initrd=${vfkitValue(config.initrd, "initrd")},cmdline="${vfkitCmdline(runmWords)}"`,
    "--pidfile",
    paths.pidfile,
    "--restful-uri",
    "none",
    ...dev(
      config.console === "terminal"
        ? "virtio-serial,stdio"
        : `virtio-serial,logFilePath=${vfkitValue(paths.consoleLog, "console log")}`,
    ),
    // First disk, so the guest sees it as /dev/vda (GUEST_MBIN_DEVICE).
    ...dev(`virtio-blk,path=${vfkitValue(config.mbinDisk, "mbin disk")},readonly`),
    ...dev(
      `virtio-vsock,port=${AGENT_VSOCK_PORT},socketURL=${vfkitValue(paths.agentSocket, "agent socket")},connect`,
    ),
    ...dev(
      `virtio-vsock,port=${STDIO_VSOCK_PORT},socketURL=${vfkitValue(stdioSocketFor(paths.agentSocket), "stdio socket")},connect`,
    ),
  ];
  // Virtualization.framework shares are virtio-fs only, one device per share (macOS cannot
  // bind-mount them into one directory), tagged by name; vfkit offers no read-only flag: a
  // read-only share is enforced by the guest's read-only mount (docs/VM.md). Each is a directory
  // (VfkitDriver refuses file shares: VZ shares directories only).
  for (const s of config.shares)
    argv.push(...dev(`virtio-fs,sharedDir=${vfkitValue(s.hostPath, `share ${s.name}`)},mountTag=${s.name}`));
  argv.push(
    ...dev(`virtio-net,unixSocketPath=${vfkitValue(paths.netSocket, "net socket")},mac=${GUEST_MAC}`),
  );
  argv.push(...dev("virtio-rng"));
  return argv;
}
