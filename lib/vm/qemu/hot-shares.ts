// Shares added to a running VM (a pod's later containers: docs/SHIM.md "Pods"). A QEMU VM's share
// devices are fixed at launch (a template serves every VM of a shape), and its jail's mount
// namespace is sealed off from the host's, so a share cannot be bind-mounted "into" it afterwards.
// Instead a VM started with `hotShares` (the shim's) gets two host directories, `hot/ro` and
// `hot/rw` in its runtime dir, each a bind
// mount of itself with shared propagation; the jail binds them at /share/{ro,rw}/hot as *slaves*
// (lib/vm/qemu/jail.ts). A share added later is bind-mounted under the host directory, and the
// kernel propagates that mount, and its removal, into the jail, one way only: nothing the jail
// mounts comes back. The guest sees it at guestSharePath({..., hot: true}) through the 9p devices
// it already has. Nothing here tears down: the VM's runtime dir is removed only after everything
// mounted under it is detached (lib/sys/mounts.ts removeTree), these roots included.
import { mkdirSync, rmdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { alreadyExists, invalidArgument, notFound } from "../../errors.ts";
import { bindMount, detachMount, makeShared } from "../../sys/mounts.ts";
import type { VmShare } from "../vm-interface.ts";
import { checkShares } from "./jail.ts";

export class HotShares {
  private readonly added = new Map<string, string>();

  /** `dir`: where the two propagation roots live (inside the VM's runtime dir). */
  constructor(private readonly dir: string) {}

  /** The host directories the jail binds as /share/ro/hot and /share/rw/hot. */
  get roots(): { ro: string; rw: string } {
    return { ro: join(this.dir, "ro"), rw: join(this.dir, "rw") };
  }

  /** Make both roots shared mounts; before the jail is made, so that its namespace copies them. */
  prepare(): void {
    for (const root of Object.values(this.roots)) {
      mkdirSync(root, { recursive: true, mode: 0o700 });
      bindMount(root, root, { readOnly: false, recursive: false });
      makeShared(root);
    }
  }

  /** Show `share` to the running VM (read-only ones as read-only mounts). */
  add(share: VmShare): void {
    checkShares([share]);
    if (this.added.has(share.name)) throw alreadyExists(`share ${share.name} is already in this VM`);
    let dir: boolean;
    try {
      dir = statSync(share.hostPath).isDirectory();
    } catch {
      throw invalidArgument(`share ${share.name}: ${share.hostPath} does not exist`);
    }
    const target = join(share.readOnly ? this.roots.ro : this.roots.rw, share.name);
    if (dir) mkdirSync(target);
    else writeFileSync(target, "", { flag: "wx" });
    try {
      // A writable share brings the mounts under it (as the jail's launch-time binds do).
      bindMount(share.hostPath, target, { readOnly: share.readOnly, recursive: !share.readOnly });
    } catch (e) {
      detachMount(target);
      rmSync(target, { force: true, recursive: false });
      throw e;
    }
    this.added.set(share.name, target);
  }

  /** Take a share back from the VM (its mount goes from the jail too). */
  remove(name: string): void {
    const target = this.added.get(name);
    if (!target) throw notFound(`share ${name} is not in this VM`);
    detachMount(target);
    // Only once nothing is mounted there: never a recursive removal through a bind mount.
    if (statSync(target).isDirectory()) rmdirSync(target);
    else rmSync(target);
    this.added.delete(name);
  }
}
