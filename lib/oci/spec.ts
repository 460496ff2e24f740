// The OCI runtime config.json `runm vm run` hands to runc in the guest. The base is what
// `runc spec` prints (runc 1.1.5), minus the network namespace: the container shares the VM's
// network so that published ports (-p) reach it; the VM itself is the isolation boundary.
import { invalidArgument } from "../errors.ts";

export interface OciMount {
  destination: string;
  type: string;
  source: string;
  options?: string[];
}

export interface OciSpec {
  ociVersion: string;
  process: {
    terminal: boolean;
    user: { uid: number; gid: number; additionalGids?: number[] };
    args: string[];
    env: string[];
    cwd: string;
    capabilities: Record<"bounding" | "effective" | "permitted" | "ambient", string[]>;
    rlimits: { type: string; hard: number; soft: number }[];
    noNewPrivileges: boolean;
  };
  root: { path: string; readonly: boolean };
  hostname: string;
  mounts: OciMount[];
  linux: {
    resources: { devices: { allow: boolean; access: string }[]; memory?: { limit: number } };
    namespaces: { type: string }[];
    maskedPaths: string[];
    readonlyPaths: string[];
  };
}

/** A directory that appears in the container: `source` is a path inside the guest. */
export interface BindMount {
  source: string;
  destination: string;
  readOnly: boolean;
}

export interface SpecInput {
  args: string[];
  /** Guest path of the container's root filesystem. */
  rootfs: string;
  env?: string[];
  cwd?: string;
  uid?: number;
  gid?: number;
  terminal?: boolean;
  hostname?: string;
  readonlyRootfs?: boolean;
  binds?: BindMount[];
  /** cgroup memory limit of the container (the VM's own memory is separate). */
  memoryLimitMiB?: number;
}

export const DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
// runc spec's default set, widened to what Docker grants so that ordinary images (chown, su,
// ping) behave as users expect; still no CAP_SYS_ADMIN.
const CAPS = [
  "CAP_AUDIT_WRITE",
  "CAP_CHOWN",
  "CAP_DAC_OVERRIDE",
  "CAP_FOWNER",
  "CAP_FSETID",
  "CAP_KILL",
  "CAP_MKNOD",
  "CAP_NET_BIND_SERVICE",
  "CAP_NET_RAW",
  "CAP_SETFCAP",
  "CAP_SETGID",
  "CAP_SETPCAP",
  "CAP_SETUID",
  "CAP_SYS_CHROOT",
];

function baseMounts(): OciMount[] {
  return [
    { destination: "/proc", type: "proc", source: "proc" },
    {
      destination: "/dev",
      type: "tmpfs",
      source: "tmpfs",
      options: ["nosuid", "strictatime", "mode=755", "size=65536k"],
    },
    {
      destination: "/dev/pts",
      type: "devpts",
      source: "devpts",
      options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"],
    },
    {
      destination: "/dev/shm",
      type: "tmpfs",
      source: "shm",
      options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"],
    },
    { destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"] },
    { destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"] },
    {
      destination: "/sys/fs/cgroup",
      type: "cgroup",
      source: "cgroup",
      options: ["nosuid", "noexec", "nodev", "relatime", "ro"],
    },
  ];
}

function checkEnv(env: string[]): void {
  for (const e of env) {
    if (!/^[^=]+=/.test(e)) {
      throw invalidArgument(`bad environment entry "${e}"`, { hint: "write it as KEY=VALUE" });
    }
  }
}

/** Merge user env over the defaults (PATH, TERM with a tty); later entries win. */
export function mergeEnv(user: string[], terminal: boolean): string[] {
  const out = new Map<string, string>();
  const add = (e: string) => out.set(e.slice(0, e.indexOf("=")), e);
  add(DEFAULT_PATH);
  if (terminal) add("TERM=xterm");
  for (const e of user) add(e);
  return [...out.values()];
}

export function generateSpec(input: SpecInput): OciSpec {
  if (input.args.length === 0) {
    throw invalidArgument("no command given", { hint: "put the command after --, e.g. -- echo hello" });
  }
  const cwd = input.cwd ?? "/";
  if (!cwd.startsWith("/")) throw invalidArgument(`working directory must be absolute: ${cwd}`);
  const env = input.env ?? [];
  checkEnv(env);
  const terminal = input.terminal ?? false;
  const mounts = baseMounts();
  for (const b of input.binds ?? []) {
    if (!b.destination.startsWith("/")) {
      throw invalidArgument(`mount destination must be absolute: ${b.destination}`);
    }
    mounts.push({
      destination: b.destination,
      type: "bind",
      source: b.source,
      options: ["rbind", b.readOnly ? "ro" : "rw"],
    });
  }
  return {
    ociVersion: "1.0.2-dev",
    process: {
      terminal,
      user: { uid: input.uid ?? 0, gid: input.gid ?? 0 },
      args: input.args,
      env: mergeEnv(env, terminal),
      cwd,
      capabilities: { bounding: CAPS, effective: CAPS, permitted: CAPS, ambient: [] },
      rlimits: [{ type: "RLIMIT_NOFILE", hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: input.rootfs, readonly: input.readonlyRootfs ?? false },
    hostname: input.hostname ?? "runm",
    mounts,
    linux: {
      resources: {
        devices: [{ allow: false, access: "rwm" }],
        ...(input.memoryLimitMiB ? { memory: { limit: input.memoryLimitMiB * 1024 * 1024 } } : {}),
      },
      namespaces: [{ type: "pid" }, { type: "ipc" }, { type: "uts" }, { type: "mount" }],
      maskedPaths: [
        "/proc/acpi",
        "/proc/asound",
        "/proc/kcore",
        "/proc/keys",
        "/proc/latency_stats",
        "/proc/timer_list",
        "/proc/timer_stats",
        "/proc/sched_debug",
        "/sys/firmware",
        "/proc/scsi",
      ],
      readonlyPaths: ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
    },
  };
}
