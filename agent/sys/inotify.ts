// File-change notifications through one inotify fd, read signal-driven (lib/fd-io.ts), so a
// watched file costs nothing until it changes. The agent watches each container's cgroup v2
// `memory.events` (the kernel notifies on every counter change, as containerd relies on) to report
// OOM kills the moment they happen, instead of re-reading the file on a timer.
import { FdReader } from "../../lib/fd-io.ts";
import { logger } from "../../lib/log.ts";
import { check, closeFd, cstr, libc, O_CLOEXEC, PLATFORM } from "../../lib/sys/libc.ts";

const log = logger("agent");
const IN_MODIFY = 0x2;
const IN_IGNORED = 0x8000;
const INOTIFY_RM_WATCH = 255; // x86_64 syscall number
const INOTIFY_RM_WATCH_ARM64 = 28;

/** struct inotify_event: wd i32, mask u32, cookie u32, len u32, then len bytes of name. */
export function parseEvents(buf: Uint8Array): { wd: number; mask: number }[] {
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: { wd: number; mask: number }[] = [];
  for (let off = 0; off + 16 <= buf.length; off += 16 + v.getUint32(off + 12, true)) {
    out.push({ wd: v.getInt32(off, true), mask: v.getUint32(off + 4, true) });
  }
  return out;
}

export class FileWatcher {
  private fd = -1;
  private reader: FdReader | undefined;
  private readonly handlers = new Map<number, () => void>();

  /** Call `onChange` each time `path` is modified; returns the function that stops watching. */
  watch(path: string, onChange: () => void): () => void {
    if (this.fd < 0) this.open();
    const wd = libc().inotify_add_watch(this.fd, cstr(path), IN_MODIFY);
    if (wd < 0) {
      log.debug(`cannot watch ${path}; its changes are seen only when read`);
      return () => {};
    }
    this.handlers.set(wd, onChange);
    return () => {
      if (!this.handlers.delete(wd) || this.fd < 0) return;
      const nr = process.arch === "arm64" ? INOTIFY_RM_WATCH_ARM64 : INOTIFY_RM_WATCH;
      libc().syscall(nr, this.fd, wd, 0, 0);
    };
  }

  private open(): void {
    this.fd = check("inotify_init1", libc().inotify_init1(PLATFORM.O_NONBLOCK | O_CLOEXEC));
    const reader = new FdReader(this.fd);
    this.reader = reader;
    void (async () => {
      for (;;) {
        const chunk = await reader.read();
        if (chunk.length === 0) return;
        for (const e of parseEvents(chunk)) {
          if (e.mask & IN_IGNORED) this.handlers.delete(e.wd);
          else this.handlers.get(e.wd)?.();
        }
      }
    })().catch((e) => log.warn(`inotify: ${String(e)}`));
  }

  close(): void {
    this.reader?.finish();
    closeFd(this.fd);
    this.fd = -1;
    this.handlers.clear();
  }
}
