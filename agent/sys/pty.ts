// Window size of a pty master, through ioctl(TIOCSWINSZ) (same number on x86_64 and arm64).
import { check, libc } from "../../lib/sys/libc.ts";

const TIOCSWINSZ = 0x5414;

export function resizePty(masterFd: number, cols: number, rows: number): void {
  // struct winsize { unsigned short ws_row, ws_col, ws_xpixel, ws_ypixel; }
  const ws = new Uint16Array([rows, cols, 0, 0]);
  check("ioctl(TIOCSWINSZ)", libc().ioctl(masterFd, TIOCSWINSZ, ws));
}
