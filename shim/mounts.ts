// Create's rootfs mounts and the spec's bind mounts become VM shares: nothing is mounted on the
// host. Each share is mounted in the guest at GUEST_SHARE_ROOT/<tag>; the spec's bind sources are
// rewritten to those guest paths, and an overlay rootfs is assembled in the guest from shared
// layer dirs (see docs/ARCHITECTURE.md "rootfs" for the upper-dir tradeoff).
import { statSync } from "node:fs";
import { basename, dirname, isAbsolute, join } from "node:path";
import { GUEST_ROOTFS_ROOT, GUEST_SHARE_ROOT, GUEST_UPPER_ROOT } from "../lib/constants.ts";
import { invalidArgument } from "../lib/errors.ts";
import type { VmShare } from "../lib/vm/vm-interface.ts";

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

/** A step the guest performs before runc create, in order. */
export type GuestMount =
  | { kind: "share"; tag: string; target: string; readOnly: boolean }
  | { kind: "tmpfs"; target: string }
  | { kind: "overlay"; lower: string[]; upper: string; work: string; target: string };

export interface MountPlan {
  shares: VmShare[];
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
): MountPlan {
  const shares: VmShare[] = [];
  const guestMounts: GuestMount[] = [];
  const guestPath = (tag: string) => `${GUEST_SHARE_ROOT}/${tag}`;
  const share = (tag: string, hostPath: string, readOnly: boolean) => {
    shares.push({ tag, hostPath, readOnly });
    guestMounts.push({ kind: "share", tag, target: guestPath(tag), readOnly });
    return guestPath(tag);
  };

  let root: string;
  const rootRo = spec.root?.readonly ?? false;
  if (rootfs.length === 0) {
    const p = spec.root?.path ?? "rootfs";
    root = share("rootfs", isAbsolute(p) ? p : join(bundle, p), rootRo);
  } else if (rootfs.length > 1) {
    throw invalidArgument(`${rootfs.length} rootfs mounts: runm takes one (overlay or bind)`);
  } else {
    const m = rootfs[0] as RootfsMount;
    if (isBind(m)) root = share("rootfs", m.source, rootRo || isRo(m.options));
    else if (m.type === "overlay") root = planOverlay(id, m, share, guestMounts);
    else
      throw invalidArgument(`rootfs mount type ${m.type} is not supported`, {
        hint: "use the overlayfs or native snapshotter",
      });
  }

  // Bind mounts: a directory is shared as is; a file through its parent directory.
  const byKey = new Map<string, string>();
  const mounts = (spec.mounts ?? []).map((m) => {
    if (!isBind(m) || !m.source || !isAbsolute(m.source)) return m;
    let dir = m.source;
    let file = "";
    try {
      if (!statSync(m.source).isDirectory()) {
        dir = dirname(m.source);
        file = basename(m.source);
      }
    } catch {
      throw invalidArgument(`bind mount source ${m.source} does not exist`, {
        hint: "create it or fix --mount",
      });
    }
    const ro = isRo(m.options);
    const key = `${dir}\0${ro}`;
    let g = byKey.get(key);
    if (!g) {
      g = share(`m${byKey.size}`, dir, ro);
      byKey.set(key, g);
    }
    return { ...m, source: file ? `${g}/${file}` : g };
  });
  return { shares, guestMounts, rootfs: root, mounts };
}

function planOverlay(
  id: string,
  m: RootfsMount,
  share: (tag: string, hostPath: string, ro: boolean) => string,
  guestMounts: GuestMount[],
): string {
  const opt = (k: string) => m.options.find((o) => o.startsWith(`${k}=`))?.slice(k.length + 1);
  const lowers = (opt("lowerdir") ?? "").split(":").filter(Boolean);
  if (lowers.length === 0) throw invalidArgument("overlay rootfs without lowerdir");
  const lower = lowers.map((l, i) => share(`l${i}`, l, true));
  const target = `${GUEST_ROOTFS_ROOT}/${id}`;
  if (!opt("upperdir") || !opt("workdir")) {
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
