// Reading a character device (pty master, virtio-serial port) or socket fd. Bun.file(fd).stream()
// uses pread there and fails with ESPIPE, and a blocking fs.read parks a thread-pool worker per
// fd (two of them exhaust the pool on a 2-CPU machine and stall every other fs call: measured).
// So the fd is made non-blocking and read with readSync, backing off from 1 to 20 ms while it
// has nothing. EIO from a pty master whose slave side closed is end of file.
import { readSync } from "node:fs";
import { setNonBlocking } from "./libc.ts";

export const READ_CHUNK = 64 * 1024;
const MAX_BACKOFF_MS = 20;
const nonBlocking = new Set<number>();

/** Read up to READ_CHUNK bytes; resolves an empty array at end of file. */
export async function readSome(fd: number): Promise<Uint8Array> {
  if (!nonBlocking.has(fd)) {
    setNonBlocking(fd);
    nonBlocking.add(fd);
  }
  const buf = Buffer.allocUnsafe(READ_CHUNK);
  let wait = 1;
  for (;;) {
    try {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) nonBlocking.delete(fd);
      return buf.subarray(0, n);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "EIO" || code === "EBADF") {
        nonBlocking.delete(fd);
        return new Uint8Array(0);
      }
      if (code !== "EAGAIN" && code !== "EWOULDBLOCK") throw e;
    }
    await Bun.sleep(wait);
    wait = Math.min(wait * 2, MAX_BACKOFF_MS);
  }
}

/** Write all of `data` to a (possibly non-blocking) fd without the thread pool. */
export async function writeAll(fd: number, data: Uint8Array): Promise<number> {
  const { writeSync } = await import("node:fs");
  let off = 0;
  let wait = 1;
  while (off < data.length) {
    try {
      off += writeSync(fd, data, off);
      wait = 1;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EAGAIN") throw e;
      await Bun.sleep(wait);
      wait = Math.min(wait * 2, MAX_BACKOFF_MS);
    }
  }
  return off;
}
