// The vfkit command line (macOS Virtualization.framework) for one runm VM, as a pure function so
// unit tests check it exactly. Flag syntax from crc-org/vfkit doc/usage.md: `--bootloader linux`,
// `--device` entries with comma-separated options. The agent listens on vsock; vfkit's `connect`
// mode exposes that guest port as a unix socket the host connects to.
import { AGENT_VSOCK_PORT } from "../../constants.ts";
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
    `linux,kernel=${config.kernel},initrd=${config.initrd},cmdline="${vfkitCmdline(runmWords)}"`,
    "--pidfile",
    paths.pidfile,
    "--restful-uri",
    "none",
    ...dev(
      config.console === "terminal" ? "virtio-serial,stdio" : `virtio-serial,logFilePath=${paths.consoleLog}`,
    ),
    // First disk, so the guest sees it as /dev/vda (GUEST_MBIN_DEVICE).
    ...dev(`virtio-blk,path=${config.mbinDisk},readonly`),
    ...dev(`virtio-vsock,port=${AGENT_VSOCK_PORT},socketURL=${paths.agentSocket},connect`),
  ];
  // Virtualization.framework shares are virtio-fs only, and vfkit offers no read-only flag: a
  // read-only share is enforced by the guest's read-only mount (docs/VM.md).
  for (const s of config.shares) argv.push(...dev(`virtio-fs,sharedDir=${s.hostPath},mountTag=${s.tag}`));
  argv.push(...dev(`virtio-net,unixSocketPath=${paths.netSocket},mac=${GUEST_MAC}`));
  argv.push(...dev("virtio-rng"));
  return argv;
}
