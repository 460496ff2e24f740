// Boot-time facts the handshake reports, and the clock: the guest has no RTC, so the host's time
// arrives in RUNM_TIME (ms since the epoch, from the kernel command line via /init) and later by
// SetTime.
import { readFileSync } from "node:fs";
import { logger } from "../lib/log.ts";
import { setWallClock } from "./sys/mount.ts";

const log = logger("agent");

/** Kernel uptime in ms (/proc/uptime), i.e. time since the guest kernel started. */
export function uptimeMs(): number {
  const first = readFileSync("/proc/uptime", "utf8").split(" ")[0];
  return Number(first) * 1000;
}

/** Set the clock from RUNM_TIME when given and plausible; returns whether it was set. */
export function setClockFromEnv(env = process.env): boolean {
  const raw = env.RUNM_TIME;
  if (!raw) return false;
  const ms = Number(raw);
  if (!Number.isFinite(ms) || ms < 1e12) {
    log.warn(`ignoring RUNM_TIME=${raw}: not ms since the epoch`);
    return false;
  }
  // The value was taken when the host launched the VM; add the time the guest has been up.
  setWallClock(ms + uptimeMs());
  return true;
}
