// Fresh kernel entropy for a restored guest: a clone starts with its template's random pool, so
// the host's random bytes are credited to the pool (RNDADDENTROPY) and the CRNG is reseeded from
// it (RNDRESEEDCRNG) before any container can draw from /dev/urandom. Both need CAP_SYS_ADMIN (the
// agent is root in the guest). Numbers from linux/random.h, the same on x86_64 and arm64.
import { closeSync, openSync } from "node:fs";
import { check, libc } from "../../lib/sys/libc.ts";

const RNDADDENTROPY = 0x40085203; // _IOW('R', 0x03, int[2])
const RNDRESEEDCRNG = 0x5207; // _IO('R', 0x07)

export function addEntropy(bytes: Uint8Array, device = "/dev/urandom"): void {
  if (bytes.length === 0) return;
  // struct rand_pool_info { int entropy_count (bits); int buf_size (bytes); __u32 buf[]; }
  const info = new Uint8Array(8 + Math.ceil(bytes.length / 4) * 4);
  const v = new DataView(info.buffer);
  v.setInt32(0, bytes.length * 8, true);
  v.setInt32(4, bytes.length, true);
  info.set(bytes, 8);
  const fd = openSync(device, "w");
  try {
    check("ioctl(RNDADDENTROPY)", libc().ioctl(fd, RNDADDENTROPY, info));
    check("ioctl(RNDRESEEDCRNG)", libc().ioctl(fd, RNDRESEEDCRNG, null));
  } finally {
    closeSync(fd);
  }
}
