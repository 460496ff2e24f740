// Every name, port and path that crosses the host/guest boundary, in one place.
// docs/WIRE.md cites these; change them here and nowhere else.

/** Name of the virtio-serial port carrying the agent's gRPC stream (QEMU). */
export const AGENT_PORT_NAME = "runm.agent";
/** vsock port the agent listens on (vfkit / Virtualization.framework). */
export const AGENT_VSOCK_PORT = 1024;
/** The stdio channel (container output and input, framed): a second port beside the agent's. */
export const STDIO_PORT_NAME = "runm.stdio";
/** The stdio channel's vsock port: always the one after the agent's (agent/transport/auto.ts). */
export const STDIO_VSOCK_PORT = AGENT_VSOCK_PORT + 1;
/** The host's socket for a VM's stdio channel, beside its agent socket. */
export const stdioSocketFor = (agentSocket: string) => `${agentSocket}.stdio`;

/** Kernel command line keys read by the guest's /init and agent. */
export const CMDLINE = {
  /**
   * agent (default) | marker (print BOOT_MARKER after mounting mbin, power off) | idle (print it,
   * then do nothing: the bench's bare idle guest) | shell | floor
   */
  mode: "runm.mode",
  /** Host wall clock in ms since the epoch at launch; the guest has no RTC. */
  time: "runm.time",
  /** Agent log level (consola level name). */
  logLevel: "runm.log",
} as const;

export type GuestMode = "agent" | "marker" | "idle" | "shell" | "floor";

/** Printed on the console by /init in marker mode once the mbin squashfs is mounted. */
export const BOOT_MARKER = "RUNM-BOOT-OK";
/** Printed by /init in floor mode as the very first thing (bench baseline). */
export const FLOOR_MARKER = "RUNM-FLOOR";

/** In the guest: the mbin squashfs is the first virtio-blk disk, mounted read-only here. */
export const GUEST_MBIN_DEVICE = "/dev/vda";
export const GUEST_MBIN_DIR = "/mbin";
export const GUEST_AGENT_PATH = "/mbin/bin/runm-agent";
/** Debian's runc, shipped in the mbin squashfs with its shared libraries. */
export const GUEST_RUNC_PATH = "/mbin/bin/runc";
/** Debian's crun, the other OCI runtime the guest can drive (runtime option guest_runtime). */
export const GUEST_CRUN_PATH = "/mbin/bin/crun";
/** The OCI runtimes the guest agent can drive. */
export const GUEST_RUNTIMES = { runc: GUEST_RUNC_PATH, crun: GUEST_CRUN_PATH } as const;
export type GuestRuntime = keyof typeof GUEST_RUNTIMES;
/** Debian's static tini: PID 1 in agent mode, with the agent as its child. */
export const GUEST_TINI_PATH = "/mbin/bin/tini";
/** Static busybox in the mbin squashfs (its applets are linked beside it in /mbin/bin). */
export const GUEST_BUSYBOX_PATH = "/mbin/bin/busybox";

export type GuestArch = "x86_64" | "arm64";
export const GUEST_ARCHES: readonly GuestArch[] = ["x86_64", "arm64"];

export function hostGuestArch(): GuestArch {
  return process.arch === "arm64" ? "arm64" : "x86_64";
}

// --- Local images, dev containerd, scenarios (lib/image, lib/dev, lib/scenario) ---

/** Refs of the images `runm image build` makes: offline stand-ins for registry images. */
export const LOCAL_IMAGE_REFS = {
  busybox: "localhost/runm/busybox:latest",
  /**
   * A pod's sandbox ("pause") container for CRI: busybox whose command only sleeps (CRI stops it
   * with SIGKILL), as the sandbox_image of runm's CRI tests.
   */
  pause: "localhost/runm/pause:latest",
  debian: "localhost/runm/debian:bookworm",
  /** The Debian image with the host's Bun runtime (the one setup installed) at /usr/local/bin/bun. */
  bun: "localhost/runm/bun:latest",
  /**
   * Debian with nginx-light, serving /usr/share/nginx/html on $NGINX_PORT for $NGINX_HOST (its
   * config written from a template at start, as the official nginx image does).
   */
  nginx: "localhost/runm/nginx:latest",
  /**
   * Debian's PostgreSQL server with the official image's environment: POSTGRES_USER,
   * POSTGRES_PASSWORD, POSTGRES_DB and PGDATA (/var/lib/postgresql/data, initialised on first start).
   */
  postgres: "localhost/runm/postgres:latest",
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

// --- containerd shim (shim/, lib/containerd) ---

/** Where the shim listens when containerd gives no socket dir: <dir>/<sha256(address,ns,id)>.sock. */
export const SHIM_SOCKET_DIR = "/run/runm/s";
/** Files the shim keeps in containerd's bundle dir, so `delete` can clean up after a SIGKILL. */
export const SHIM_BUNDLE_FILES = {
  pid: "shim.pid",
  address: "address",
  /** JSON: the VM's runtime dir, VMM pid, socket path (see shim/bundle-state.ts). */
  state: "runm-shim.json",
  /** Symlink to the guest console log (next to containerd's shim log). */
  console: "runm-console.log",
} as const;
/** OCI annotations a container can set to size its VM. */
export const ANNOTATION_CPUS = "io.containerd.runm.cpus";
export const ANNOTATION_MEMORY = "io.containerd.runm.memory";
/** OCI annotation choosing the share kind: "9p" or "virtiofs". */
export const ANNOTATION_SHARE = "io.containerd.runm.share";
/** ttrpc metadata key carrying the containerd namespace. */
export const TTRPC_NAMESPACE_KEY = "containerd-namespace-ttrpc";
/** In the guest: the agent's state (bundles, runc --root, console sockets), on tmpfs. */
export const GUEST_AGENT_STATE_DIR = "/run/runm";
/**
 * OCI annotation carrying published ports for clients without -p (ctr): a comma-separated list of
 * `HOSTIP:HOSTPORT:CONTAINERPORT[/tcp|udp]`. The shim maps each to a QEMU hostfwd.
 */
export const PUBLISH_ANNOTATION = "io.containerd.runm.publish";
/**
 * OCI annotation: host loopback ports the guest may reach ("8080,9000"). The guest connects to
 * GUEST_HOST_LOOPBACK:PORT and lands on the host's 127.0.0.1:PORT; nothing else is reachable.
 */
export const HOST_LOOPBACK_ANNOTATION = "io.containerd.runm.host-loopback";
/** In the guest: QEMU user networking's gateway (the default route; answers nothing itself). */
export const GUEST_HOST_GATEWAY = "10.0.2.2";
/**
 * In the guest: the address standing for the host's loopback (on the guest's lo). The agent
 * listens on it for each allowed port and tunnels every connection to the host's 127.0.0.1:PORT
 * through the agent channel (lib/sandbox/host-forwards.ts): no network path leaves the VM.
 */
export const GUEST_HOST_LOOPBACK = "10.0.2.100";
/**
 * In the guest: where the sandbox's shares appear, read-only ones at <root>/ro/<name>, writable
 * ones at <root>/rw/<name> (lib/vm/vm-interface.ts guestSharePath).
 */
export const GUEST_SHARE_ROOT = "/run/runm/shares";
/**
 * Mount tags of the sandbox's share devices on QEMU: 9p has one device for the read-only shares
 * and one for the writable ones (each with its own security model); virtio-fs has one for both.
 */
export const SHARE_TAGS = { ro: "runm-ro", rw: "runm-rw", virtiofs: "runm" } as const;
/** The system user the VMM runs as on Linux (created by ./setup.sh; runm.toml [vm] user). */
export const DEFAULT_VMM_USER = "runm-vmm";
export const GUEST_ROOTFS_ROOT = "/run/runm/rootfs";
/** Guest dir of the sockets that stand for host unix sockets bound into containers (sN.sock). */
export const GUEST_SOCKET_ROOT = "/run/runm/sockets";
/** Guest tmpfs holding an overlay rootfs's upper and work dirs, one per container. */
export const GUEST_UPPER_ROOT = "/run/runm/upper";
/**
 * Snapshotter runm containers use: containerd's default. The guest assembles the overlay from
 * read-only layer shares and a guest tmpfs upper (docs/SHIM.md, "rootfs: overlay vs bind").
 */
export const RUNM_SNAPSHOTTER = "overlayfs";

/**
 * Pods: containers naming the same sandbox share one shim and one VM (shim/grouping.ts). CRI sets
 * its annotation on every container of a pod (the sandbox's own id on the pause container); ctr
 * users set runm's. Neither widens a sandbox, so neither is in RUNM_ANNOTATIONS.
 */
export const CRI_SANDBOX_ID_ANNOTATION = "io.kubernetes.cri.sandbox-id";
export const SANDBOX_ANNOTATION = "io.containerd.runm.sandbox";

/** The annotations runm reads; each widens the sandbox, so each needs the operator's leave. */
export const RUNM_ANNOTATIONS = [
  ANNOTATION_CPUS,
  ANNOTATION_MEMORY,
  ANNOTATION_SHARE,
  PUBLISH_ANNOTATION,
  HOST_LOOPBACK_ANNOTATION,
] as const;
