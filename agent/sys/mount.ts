// mount(2) through libc, so MountShare needs no mount binary in the guest.
import { check, cstr, libc } from "../../lib/sys/libc.ts";

const MS_RDONLY = 1;

export function mountFs(fstype: string, source: string, target: string, readOnly: boolean, data = ""): void {
  const c = libc();
  check(
    `mount ${fstype} ${source} on ${target}`,
    c.mount(cstr(source), cstr(target), cstr(fstype), readOnly ? MS_RDONLY : 0, data ? cstr(data) : null),
  );
}

export function unmountFs(target: string): void {
  check(`umount ${target}`, libc().umount2(cstr(target), 0));
}

export function setWallClock(unixMs: number): void {
  // struct timespec { time_t tv_sec; long tv_nsec; } on LP64
  const ts = new BigInt64Array([
    BigInt(Math.floor(unixMs / 1000)),
    BigInt(Math.round((unixMs % 1000) * 1e6)),
  ]);
  const CLOCK_REALTIME = 0;
  check("clock_settime", libc().clock_settime(CLOCK_REALTIME, ts));
}
