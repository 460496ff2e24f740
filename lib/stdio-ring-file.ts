// Where the stdio channel's bulk ring (lib/stdio-ring.ts, docs/WIRE.md "bulk ring") lives:
// one file per VM, made by the host beside the VM's runtime state and shown to the guest inside its
// writable share under a name no share can take (share names never start with a dot).
import { closeSync, fstatSync, openSync } from "node:fs";
import { join } from "node:path";
import { GUEST_SHARE_ROOT } from "./constants.ts";
import { messageOf } from "./errors.ts";
import { logger } from "./log.ts";
import { type RingHalves, ringHalves } from "./stdio-ring.ts";

const log = logger("stdio-ring");

/** The ring's name in the writable share's root. */
export const RING_FILE_NAME = ".stdio-ring";
/** The guest's path to it, once the writable share is mounted (9p: rw/; virtio-fs: the root's rw/). */
export const GUEST_RING_PATH = join(GUEST_SHARE_ROOT, "rw", RING_FILE_NAME);
/**
 * Its size: two halves (output, input), each two of the largest frames in flight (a receiver
 * gives space back as each frame arrives). Host memory (tmpfs) only as far as it has been written.
 */
export const RING_BYTES = 4 * 1024 * 1024;

/**
 * The guest's handle on the ring: opened on first use after the writable share is mounted, closed
 * before that share is unmounted (an open file would keep it busy, and a template's 9p must be
 * unmounted before its snapshot).
 */
export class GuestRingFile {
  private ring: RingHalves | undefined;
  /** Looked for since the last mount: a VM without a ring is asked once per mount, not per write. */
  private looked = false;

  constructor(private readonly path = GUEST_RING_PATH) {}

  /** The ring's halves, or undefined while the share is not mounted or the VM has none. */
  get(): RingHalves | undefined {
    if (this.ring || this.looked) return this.ring;
    this.looked = true;
    let fd: number | undefined;
    try {
      fd = openSync(this.path, "r+");
      const st = fstatSync(fd);
      if (!st.isFile() || st.size < 2 * 4096) throw new Error("not a ring");
      this.ring = ringHalves(fd, st.size);
    } catch (e) {
      if (fd !== undefined) closeSync(fd);
      // A VM without one (vfkit) is normal; one that is there but unusable is worth a line.
      if ((e as NodeJS.ErrnoException).code !== "ENOENT")
        log.debug(`stdio ring ${this.path} not used (stdio stays on the channel): ${messageOf(e)}`);
    }
    return this.ring;
  }

  /** A share was mounted: look again on next use. */
  mounted(): void {
    this.looked = false;
  }

  /** Something is about to be unmounted: let go of the ring if it lies there. */
  unmounting(target: string): void {
    if (!this.ring || !`${this.path}/`.startsWith(`${target.replace(/\/+$/, "")}/`)) return;
    closeSync(this.ring.guestToHost.fd);
    this.ring = undefined;
    this.looked = false;
  }
}
