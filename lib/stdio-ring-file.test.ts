// The guest's handle on the bulk ring: opened once its share is there, asked again only after a
// mount, let go before the share holding it is unmounted (a template's 9p must be unmounted).
import { expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GuestRingFile } from "./stdio-ring-file.ts";

test("the ring is opened on first use after a mount, let go before its share's unmount, and a VM without one is asked once per mount", () => {
  const dir = mkdtempSync(join(tmpdir(), "ringfile-"));
  try {
    const share = join(dir, "rw");
    const path = join(share, ".stdio-ring");
    const ring = new GuestRingFile(path);
    expect(ring.get()).toBeUndefined(); // no file (vfkit, or the share not mounted yet)
    mkdirSync(share);
    writeFileSync(path, "");
    truncateSync(path, 1 << 20);
    expect(ring.get()).toBeUndefined(); // not asked again until something is mounted
    ring.mounted();
    const got = ring.get();
    // Two halves, one per direction.
    expect(got?.guestToHost).toMatchObject({ offset: 0, size: 1 << 19 });
    expect(got?.hostToGuest).toMatchObject({ offset: 1 << 19, size: 1 << 19 });
    ring.unmounting(join(dir, "ro")); // another share: kept
    expect(ring.get()).toBe(got);
    ring.unmounting(`${share}/`);
    ring.mounted();
    expect(ring.get()?.hostToGuest.fd).toBeGreaterThan(0); // reopened after the share came back
    rmSync(path);
    mkdirSync(path); // not a file: never used as one
    ring.unmounting(share);
    ring.mounted();
    expect(ring.get()).toBeUndefined();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
