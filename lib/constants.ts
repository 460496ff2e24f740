// Every name, port and path that crosses the host/guest boundary, in one place.
// docs/WIRE.md cites these; change them here and nowhere else.

/** Name of the virtio-serial port carrying the agent's gRPC stream (QEMU). */
export const AGENT_PORT_NAME = "runm.agent";
/** vsock port the agent listens on (vfkit / Virtualization.framework). */
export const AGENT_VSOCK_PORT = 1024;

/** Kernel command line keys read by the guest's /init and agent. */
export const CMDLINE = {
  /** agent (default) | marker (print BOOT_MARKER after mounting mbin, power off) | shell | floor */
  mode: "runm.mode",
  /** Host wall clock in ms since the epoch at launch; the guest has no RTC. */
  time: "runm.time",
  /** Agent log level (consola level name). */
  logLevel: "runm.log",
} as const;

export type GuestMode = "agent" | "marker" | "shell" | "floor";

/** Printed on the console by /init in marker mode once the mbin squashfs is mounted. */
export const BOOT_MARKER = "RUNM-BOOT-OK";
/** Printed by /init in floor mode as the very first thing (bench baseline). */
export const FLOOR_MARKER = "RUNM-FLOOR";

/** In the guest: the mbin squashfs is the first virtio-blk disk, mounted read-only here. */
export const GUEST_MBIN_DEVICE = "/dev/vda";
export const GUEST_MBIN_DIR = "/mbin";
export const GUEST_AGENT_PATH = "/mbin/bin/runm-agent";

export type GuestArch = "x86_64" | "arm64";
export const GUEST_ARCHES: readonly GuestArch[] = ["x86_64", "arm64"];

export function hostGuestArch(): GuestArch {
  return process.arch === "arm64" ? "arm64" : "x86_64";
}

// --- Local images, dev containerd, scenarios (lib/image, lib/dev, lib/scenario) ---

/** Refs of the images `runm image build` makes: offline stand-ins for registry images. */
export const LOCAL_IMAGE_REFS = {
  busybox: "localhost/runm/busybox:latest",
  debian: "localhost/runm/debian:bookworm",
} as const;
export type LocalImageKind = keyof typeof LOCAL_IMAGE_REFS;

/** containerd namespace the dev containerd and scenarios use (ctr's default, so plain ctr works). */
export const DEV_NAMESPACE = "default";
/** Under dirs().state: the dev containerd's root, state, socket, config and lock. */
export const DEV_STATE_SUBDIR = "dev";
export const DEV_SOCKET_NAME = "containerd.sock";
export const DEV_LOCK_NAME = "dev.lock";
/** The containerd runtime name runm registers under, and the shim binary containerd runs for it. */
export const RUNM_RUNTIME_NAME = "io.containerd.runm.v2";
export const RUNM_SHIM_BINARY = "containerd-shim-runm-v2";
/** Env var the dev containerd passes to shims: the dir where shims and VM consoles write logs. */
export const DEV_LOG_DIR_ENV = "RUNM_DEV_LOG_DIR";

/** In the guest: the agent's state (bundles, runc --root, console sockets), on tmpfs. */
export const GUEST_AGENT_STATE_DIR = "/run/runm";
