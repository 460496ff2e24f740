// The VMM's jail on Linux, in the spirit of Firecracker's jailer. QEMU (and virtiofsd) never run as
// full root:
//   [nsenter --net=/run/netns/POD]                          a CNI pod's VM only: into the pod's
//                                                           network, where its tap is (pod-network.ts)
//   unshare --mount --pid --ipc --uts --fork --kill-child   own namespaces; the VMM is PID 1 of its
//                                                           own PID namespace, so it cannot see or
//                                                           signal any other process, and every
//                                                           process in it dies with it
//   a tmpfs root holding only: /usr (read-only), /dev/{null,zero,random,urandom[,kvm][,net/tun]}, a /proc
//   of the VMM's own PID namespace showing processes only (9p needs /proc/self/fd), the guest
//   image files (read-only), the VM's runtime dir, the template files and /share/{ro,rw}, where
//   each share is bind-mounted by name (read-only ones as read-only mounts, so the host kernel
//   refuses their writes); pivot_root into it and detach the host's root: nothing else of the host
//   is reachable
//   setpriv --reuid/--regid the VMM user (runm-vmm), no groups, no new privileges, and only the
//   capabilities 9p needs to serve image layers and volumes whoever owns their files
//   (dac_override, dac_read_search, fowner) in the bounding, inheritable and ambient sets
//   QEMU's own seccomp filter (-sandbox on, argv.ts)
// The mount work is a POSIX sh script run by root inside the new namespaces; every host path
// reaches it as a separate argument or as a field of a mount table in which every byte but a few
// plain ones is octal-escaped (jailPlan), never as script text, so no name can inject anything.
// It runs as few processes as it can (a fork and exec costs ~5 ms here): 14 where one per path
// took 44, 170 → 70 ms before the VMM starts.
import { lstatSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { invalidArgument } from "../../errors.ts";
import { requireTool } from "../../tools.ts";
import { HOT_SHARE_DIR, type VmShare } from "../vm-interface.ts";

/**
 * Where things are inside the jail (what QEMU's argv names). The VM's runtime and socket dirs keep
 * their host paths (bound at the same place), so its sockets and logs are where runm looks and a
 * leak check finds the VMM by them.
 */
export const JAIL = {
  kernel: "/guest/kernel",
  initrd: "/guest/initrd",
  mbinDisk: "/guest/mbin",
  memoryFile: "/template/memory",
  shareRoot: "/share",
} as const;

/** Capabilities the VMM keeps: read and write the shared files whoever owns them. */
export const VMM_CAPS = ["dac_override", "dac_read_search", "fowner"] as const;
/** With ShareOwnership "passthrough" the VMM also sets real owners. */
export const VMM_PASSTHROUGH_CAPS = [...VMM_CAPS, "chown"] as const;
export interface JailBind {
  /** Absolute path inside the jail. */
  inner: string;
  host: string;
  writable: boolean;
}

export interface JailSpec {
  /** An empty host directory the jail's tmpfs is mounted on (in the jail's namespace only). */
  root: string;
  user: { uid: number; gid: number };
  /** The VMM's capabilities (VMM_CAPS or VMM_PASSTHROUGH_CAPS). */
  caps: readonly string[];
  binds: JailBind[];
  shares: VmShare[];
  /** virtiofsd's argv (inner paths), started inside the jail before the VMM, or none. */
  virtiofsd?: string[];
  /** Its socket, waited for before the VMM starts. */
  virtiofsdSocket?: string;
  /** The host's hot-share roots (lib/vm/qemu/hot-shares.ts), shared mounts made before the jail. */
  hot?: { ro: string; rw: string };
  /** A pod's named network namespace the jail is made in (pod-network.ts); else the host's. */
  netns?: string;
}

// $1 root, $2 uid, $3 gid, $4 vmm caps, $5 the merged-/usr links to copy (plain words), $6 the
// mount table, $7 the hot-share table ("" for none), then counted groups:
//   N, then N directories; N, then N files                 the mount points (jailPlan)
//   N, then N words                                        virtiofsd argv (our own fixed words)
//   the virtiofsd socket ("-" for none), then the VMM's argv.
const SCRIPT = String.raw`set -eu
# First, before any mount: nothing mounted in here may propagate back to the host (the namespace
# was copied with the host's propagation so that the hot-share roots stay connected, one way).
mount --make-rslave /
root=$1 uid=$2 gid=$3 caps=$4 links=$5 table=$6 hot=$7
shift 7
mount -t tmpfs -o mode=0755,nosuid,nodev runm-jail "$root"
mkdir "$root${JAIL.shareRoot}"
mount -t tmpfs -o mode=0755,nosuid,nodev runm-share "$root${JAIL.shareRoot}"
# Every VM start runs this, and a fork and exec costs ~5 ms here: every mount point in one mkdir,
# every bind in one mount -a of the table runm wrote (jailPlan; each path in it octal-escaped).
# The eval sees only "\${1}" "\${2}"...: the paths themselves are never parsed as script.
n=$1
shift
a=""
i=1
while [ "$i" -le "$n" ]; do
	a="$a \"\${$i}\""
	i=$((i + 1))
done
eval "mkdir -p -- $a"
shift "$n"
n=$1
shift
while [ "$n" -gt 0 ]; do
	: >"$1"
	shift
	n=$((n - 1))
done
[ -z "$links" ] || cp -P $links "$root/"
# libmount reads a table from a file only: one in the pivot's old-root dir, removed below.
printf '%s\n' "$table" >"$root/.old/mounts"
mount -a -T "$root/.old/mounts"
# Every launch-time bind private: no later host mount under a bound dir reaches the guest.
mount --make-rprivate "$root"
# Hot shares: the host's two roots, bound as slaves (the only mounts that stay connected to the
# host's): what the host mounts under them later appears here (lib/vm/qemu/hot-shares.ts).
printf '%s\n' "$hot" >"$root/.old/hot"
[ -z "$hot" ] || mount -a -T "$root/.old/hot"
mount -o remount,ro,nosuid,nodev runm-share "$root${JAIL.shareRoot}"
n=$1; shift
fsd=""
while [ "$n" -gt 0 ]; do fsd="$fsd $1"; shift; n=$((n - 1)); done
fsock=$1; shift
cd "$root"
pivot_root . .old
cd /
# A proc of the new PID namespace, processes only (subset=pid: no /proc/sys, no sysrq-trigger):
# umount reads /proc/self/mountinfo, and QEMU's 9p server reaches files through /proc/self/fd.
pidproc() { mount -t proc -o subset=pid,hidepid=invisible,nosuid,nodev,noexec proc /proc; }
pidproc
umount -l /.old
rm -d -- /.old/mounts /.old/hot /.old
drop() { # caps, then the command: as the VMM user, with only those capabilities
	c=$1
	shift
	# The uid change clears the parent-death signal: a second setpriv arms it again.
	exec setpriv --reuid="$uid" --regid="$gid" --clear-groups --no-new-privs --inh-caps=-all,$c \
		--ambient-caps=-all,$c --bounding-set=-all,$c -- setpriv --pdeathsig=SIGKILL -- "$@"
}
if [ -n "$fsd" ]; then
	# virtiofsd insists on reading /proc/sys/fs/file-max: it gets a PID namespace (and so a whole
	# proc) of its own, with /proc/sys read-only and sysrq-trigger masked. It drops its own
	# capabilities (modcaps), installs its own seccomp filter and chroots into /share: it dies
	# on a capability bounding set or no-new-privs imposed from outside, so none is. Its namespace
	# keeps the jail's propagation (all private but the hot-share slaves) so hot shares reach it.
	(exec unshare --pid --fork --kill-child=SIGKILL --mount --propagation unchanged -- /bin/sh -c '
		set -eu
		mount -t proc -o nosuid,nodev,noexec proc /proc
		mount --bind -o ro,nosuid,nodev,noexec /proc/sys /proc/sys
		if [ -e /proc/sysrq-trigger ]; then mount --bind /dev/null /proc/sysrq-trigger; fi
		exec setpriv --pdeathsig=SIGKILL -- "$@"' virtiofsd $fsd) &
	i=0
	while [ ! -S "$fsock" ]; do
		i=$((i + 1))
		[ $i -gt 500 ] && { echo "runm-jail: virtiofsd did not start" >&2; exit 1; }
		sleep 0.01
	done
fi
drop "$caps" "$@"
`;

/** The host's top-level dirs a merged /usr makes links (copied) or that are bound read-only. */
const ROOT_DIRS = ["bin", "sbin", "lib", "lib64", "lib32", "libx32"] as const;
const DEVICES = ["null", "zero", "random", "urandom"] as const;

/**
 * A mount table field: every byte but a few plain ones as libmount's `\ooo` octal escape, so a
 * path holding spaces, commas, a newline or a `#` is read back exactly, and as one field.
 */
export function tableField(s: string): string {
  let out = "";
  for (const byte of new TextEncoder().encode(s)) {
    const c = String.fromCharCode(byte);
    out += /^[A-Za-z0-9/._+@%-]$/.test(c) ? c : `\\${byte.toString(8).padStart(3, "0")}`;
  }
  return out;
}

interface TableEntry {
  source: string;
  target: string;
  options: string;
}

const tableText = (entries: TableEntry[]) =>
  entries.map((e) => `${tableField(e.source)} ${tableField(e.target)} none ${e.options} 0 0`).join("\n");

/** What the jail script makes and mounts, every path under `root` (jailArgv passes it on). */
export interface JailPlan {
  /** Mount points and their parents, made in one mkdir. */
  dirs: string[];
  /** Single-file mount points. */
  files: string[];
  /** The host's merged-/usr links, copied as they are. */
  links: string[];
  /** The binds, in order, as a mount table (one `mount -a`). */
  table: string;
  /** The hot-share roots' binds, made after every other bind is private; "" for none. */
  hot: string;
}

const isDirectory = (path: string) => {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false; // missing: bound as a file, and the mount says what is wrong
  }
};

export function jailPlan(spec: JailSpec): JailPlan {
  const root = spec.root;
  const dirs = new Set([
    `${root}/.old`,
    `${root}/proc`,
    `${root}${JAIL.shareRoot}/ro`,
    `${root}${JAIL.shareRoot}/rw`,
  ]);
  const files: string[] = [];
  const binds: TableEntry[] = [];
  const bind = (inner: string, host: string, how: "ro" | "rw" | "rw-tree") => {
    const target = root + inner;
    // A mount point made ahead would be hidden by a bind over a dir above it.
    const above = binds.find((b) => target.startsWith(`${b.target}/`));
    if (above) throw invalidArgument(`jail mount point ${inner} lies under another bind (${above.target})`);
    if (isDirectory(host)) dirs.add(target);
    else {
      dirs.add(dirname(target));
      files.push(target);
    }
    const options = { ro: "bind,ro,nosuid,nodev", rw: "bind", "rw-tree": "rbind" }[how];
    binds.push({ source: host, target, options });
  };
  bind("/usr", "/usr", "ro");
  const links: string[] = [];
  for (const d of ROOT_DIRS) {
    const st = lstatSync(`/${d}`, { throwIfNoEntry: false });
    if (st?.isSymbolicLink()) links.push(`/${d}`);
    else if (st?.isDirectory()) bind(`/${d}`, `/${d}`, "ro");
  }
  for (const d of DEVICES) bind(`/dev/${d}`, `/dev/${d}`, "rw");
  for (const b of spec.binds) bind(b.inner, b.host, b.writable ? "rw" : "ro");
  for (const sh of spec.shares)
    bind(
      `${JAIL.shareRoot}/${sh.readOnly ? "ro" : "rw"}/${sh.name}`,
      sh.hostPath,
      sh.readOnly ? "ro" : "rw-tree",
    );
  const hot: TableEntry[] = [];
  if (spec.hot)
    for (const k of ["ro", "rw"] as const) {
      const target = `${root}${JAIL.shareRoot}/${k}/${HOT_SHARE_DIR}`;
      dirs.add(target);
      hot.push({ source: spec.hot[k], target, options: "bind,nosuid,nodev" });
    }
  return { dirs: [...dirs], files, links, table: tableText(binds), hot: tableText(hot) };
}

const capList = (caps: readonly string[]) => caps.map((c) => `+${c}`).join(",");

const SHARE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;

export function checkShares(shares: VmShare[]): void {
  const seen = new Set<string>();
  for (const s of shares) {
    if (!SHARE_NAME.test(s.name) || seen.has(s.name) || s.name === HOT_SHARE_DIR)
      throw invalidArgument(`bad or repeated share name ${JSON.stringify(s.name)}`);
    if (!s.hostPath.startsWith("/") || s.hostPath.includes("\0"))
      throw invalidArgument(`share ${s.name}: ${JSON.stringify(s.hostPath)} is not an absolute path`);
    seen.add(s.name);
  }
}

/** The full argv: namespaces, then the script, then the VMM's own argv (inner paths). */
export function jailArgv(spec: JailSpec, vmm: string[]): string[] {
  checkShares(spec.shares);
  for (const p of spec.hot ? [spec.hot.ro, spec.hot.rw] : []) {
    if (!p.startsWith("/") || p === "-")
      throw invalidArgument(`hot-share root ${p} must be an absolute path`);
  }
  for (const b of spec.binds) {
    if (!b.inner.startsWith("/") || !b.host.startsWith("/"))
      throw invalidArgument(`jail bind ${b.inner} ← ${b.host}: both paths must be absolute`);
  }
  const fsd = spec.virtiofsd ?? [];
  if (fsd.some((w) => /\s/.test(w))) throw invalidArgument("virtiofsd's argv must be plain words");
  if (spec.netns !== undefined && !spec.netns.startsWith("/"))
    throw invalidArgument(`network namespace ${spec.netns} must be an absolute path`);
  const plan = jailPlan(spec);
  return [
    // Into the pod's network first (a named namespace pod-network.ts checked), so the VMM's tap is there.
    ...(spec.netns
      ? [requireTool("nsenter", "to start a pod's VMM in its network"), `--net=${spec.netns}`, "--"]
      : []),
    requireTool("unshare", "to jail the VMM"),
    "--mount",
    "--pid",
    "--ipc",
    "--uts",
    "--fork",
    "--kill-child=SIGKILL",
    "--propagation",
    "unchanged", // the script's first command makes every mount a slave: nothing flows back
    "--",
    "/bin/sh",
    "-c",
    SCRIPT,
    "runm-jail",
    spec.root,
    String(spec.user.uid),
    String(spec.user.gid),
    capList(spec.caps),
    plan.links.join(" "),
    plan.table,
    plan.hot,
    String(plan.dirs.length),
    ...plan.dirs,
    String(plan.files.length),
    ...plan.files,
    String(fsd.length),
    ...fsd,
    spec.virtiofsdSocket ?? "-",
    ...vmm,
  ];
}
