// Reading a character device (pty master, virtio-serial port) or socket fd. Bun.file(fd).stream()
// uses pread there and fails with ESPIPE, so these use read(2) at the current position through
// fs.read (a worker thread blocks in it; one per such fd). EIO from a pty master whose slave
// side closed is end of file.
import { read } from "node:fs";

export const READ_CHUNK = 64 * 1024;

/** Read up to READ_CHUNK bytes; resolves an empty array at end of file. */
export function readSome(fd: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const buf = Buffer.allocUnsafe(READ_CHUNK);
    read(fd, buf, 0, buf.length, null, (e, n) => {
      if (e && (e as NodeJS.ErrnoException).code === "EIO") resolve(new Uint8Array(0));
      else if (e) reject(e);
      else resolve(buf.subarray(0, n));
    });
  });
}
