// A container's root filesystem and bind mounts become the sandbox's shares: the host side
// mounts nothing where anyone else sees it (on Linux the VMM's jail stages them in its own mount
// namespace; on macOS each is a device). Each share appears in the guest at
// GUEST_SHARE_ROOT/<name>; the spec's bind sources are rewritten to those guest paths, and an
// overlay rootfs is assembled in the guest from shared layer dirs (docs/SHIM.md "rootfs"). A file
// bind shares that file alone, never its directory; a unix socket bind is forwarded, not shared.
import { type Stats, statSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { GUEST_ROOTFS_ROOT, GUEST_SOCKET_ROOT, GUEST_UPPER_ROOT } from "../constants.ts";
import { invalidArgument } from "../errors.ts";
import { guestSharePath, type VmShare } from "../vm/vm-interface.ts";
import type { SocketBind } from "./host-forwards.ts";

export interface RootfsMount {
  type: string;
  source: string;
  target?: string;
  options: string[];
}

export interface SpecMount {
  destination: string;
  type?: string;
  source?: string;
  options?: string[];
}

/** A step the guest performs before runc create (after mounting the shares), in order. */
export type GuestMount =
  | { kind: "tmpfs"; target: string }
  | { kind: "overlay"; lower: string[]; upper: string; work: string; target: string };

export interface MountPlan {
  shares: VmShare[];
  /** Host unix sockets bound into the container: each gets a guest socket forwarded to it. */
  sockets: SocketBind[];
  guestMounts: GuestMount[];
  /** Guest path of the container's root filesystem. */
  rootfs: string;
  /** The spec's mounts with bind sources pointing into the guest. */
  mounts: SpecMount[];
}

const isBind = (m: { type?: string; options?: string[] }) =>
  m.type === "bind" || (m.options ?? []).some((o) => o === "bind" || o === "rbind");
const isRo = (options: string[] = []) => options.includes("ro");

export function planMounts(
  id: string,
  bundle: string,
  rootfs: RootfsMount[],
  spec: { root?: { path?: string; readonly?: boolean }; mounts?: SpecMount[] },
  joining?: { sharePrefix: string; firstSocket: number },
): MountPlan {
  const shares: VmShare[] = [];
  const guestMounts: GuestMount[] = [];
  // A container joining a running VM (a pod's later container) gets hot shares, named apart from
  // every other container's by its prefix.
  const hot = joining !== undefined;
  const share = (base: string, hostPath: string, readOnly: boolean) => {
    const name = `${joining?.sharePrefix ?? ""}${base}`;
    shares.push({ name, hostPath, readOnly });
    return guestSharePath({ name, readOnly, hot });
  };

  let root: string;
  const rootRo = spec.root?.readonly ?? false;
  // A directory root (the native snapshotter, a bundle's rootfs, `runm vm run --rootfs`) is shared
  // read-only, with the guest's writes in a tmpfs upper as for overlay snapshots: a root
  // filesystem is full of symlinks, which a mapped writable share could not read (ShareOwnership).
  const dirRoot = (path: string, ro: boolean) =>
    ro ? share("rootfs", path, true) : planOverlay(id, [path], true, share, guestMounts);
  if (rootfs.length === 0) {
    const p = spec.root?.path ?? "rootfs";
    root = dirRoot(isAbsolute(p) ? p : join(bundle, p), rootRo);
  } else if (rootfs.length > 1) {
    throw invalidArgument(`${rootfs.length} rootfs mounts: runm takes one (overlay or bind)`);
  } else {
    const m = rootfs[0] as RootfsMount;
    if (isBind(m)) root = dirRoot(m.source, rootRo || isRo(m.options));
    else if (m.type === "overlay") {
      const opt = (k: string) => m.options.find((o) => o.startsWith(`${k}=`))?.slice(k.length + 1);
      const lowers = (opt("lowerdir") ?? "").split(":").filter(Boolean);
      const writable = Boolean(opt("upperdir") && opt("workdir"));
      root = planOverlay(id, lowers, writable, share, guestMounts);
    } else
      throw invalidArgument(`rootfs mount type ${m.type} is not supported`, {
        hint: "use the overlayfs or native snapshotter",
      });
  }

  // Bind mounts: a directory or a file, each shared by itself (a file's siblings stay hidden); a
  // unix socket becomes a guest socket whose connections are forwarded to it (a share cannot
  // carry a socket across the VM boundary).
  const byKey = new Map<string, string>();
  const sockets: SocketBind[] = [];
  const mounts = (spec.mounts ?? []).map((m) => {
    if (!isBind(m) || !m.source || !isAbsolute(m.source)) return m;
    let st: Stats;
    try {
      st = statSync(m.source);
    } catch {
      throw invalidArgument(`bind mount source ${m.source} does not exist`, {
        hint: "create it or fix --mount",
      });
    }
    if (st.isSocket()) {
      // Numbered across the pod: a later container's guest sockets sit beside the first one's.
      const guestPath = `${GUEST_SOCKET_ROOT}/s${(joining?.firstSocket ?? 0) + sockets.length}.sock`;
      sockets.push({ hostPath: m.source, guestPath, mode: st.mode & 0o777, uid: st.uid, gid: st.gid });
      return { ...m, source: guestPath };
    }
    if (!st.isDirectory() && !st.isFile())
      throw invalidArgument(
        `bind mount source ${m.source} is not a directory, a regular file or a unix socket`,
        {
          hint: "bind a directory, a file or a socket",
        },
      );
    const ro = isRo(m.options);
    const key = `${m.source}\0${ro}`;
    let g = byKey.get(key);
    if (!g) {
      g = share(`m${byKey.size}`, m.source, ro);
      byKey.set(key, g);
    }
    return { ...m, source: g };
  });
  return { shares, sockets, guestMounts, rootfs: root, mounts };
}

/** Host layer dirs (top first), shared read-only and stacked in the guest. */
function planOverlay(
  id: string,
  lowers: string[],
  writable: boolean,
  share: (name: string, hostPath: string, ro: boolean) => string,
  guestMounts: GuestMount[],
): string {
  if (lowers.length === 0) throw invalidArgument("overlay rootfs without lowerdir");
  const lower = lowers.map((l, i) => share(`l${i}`, l, true));
  const target = `${GUEST_ROOTFS_ROOT}/${id}`;
  if (!writable) {
    // A read-only view (e.g. a committed snapshot): one lower is the root itself, several a
    // lower-only overlay.
    if (lower.length === 1) return lower[0] as string;
    guestMounts.push({ kind: "overlay", lower, upper: "", work: "", target });
    return target;
  }
  // The writable layer lives on a guest tmpfs, not on the snapshotter's host upperdir: overlayfs
  // refuses a 9p upper (no xattrs, O_TMPFILE, RENAME_WHITEOUT). The cost: the container's rootfs
  // writes stay in the VM and vanish with it (docs/SHIM.md "rootfs").
  const upperRoot = `${GUEST_UPPER_ROOT}/${id}`;
  guestMounts.push({ kind: "tmpfs", target: upperRoot });
  guestMounts.push({
    kind: "overlay",
    lower,
    upper: `${upperRoot}/upper`,
    work: `${upperRoot}/work`,
    target,
  });
  return target;
}
