// The host terminal for `runm vm run -t`: raw mode while the container owns it, and its size
// forwarded on start and on every SIGWINCH. Always restored, including on errors. Raw means
// output post-processing off too (as runc's and ctr's console do): Node's setRawMode leaves OPOST
// on, so the guest's CR LF would reach the screen as CR CR LF, and a bare LF (a curses cursor
// move) as CR LF.
import { spawnSync } from "node:child_process";

/** Run stty on `fd`; its stdout, or undefined if it failed. */
function stty(fd: number, args: string[]): string | undefined {
  const r = spawnSync("stty", args, { stdio: [fd, "pipe", "pipe"], encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

export interface TerminalSize {
  columns: number;
  rows: number;
}

export interface HostTerminal {
  size(): TerminalSize | undefined;
  /** Calls `onResize` now and on each SIGWINCH; returns the restore function. */
  attach(onResize: (s: TerminalSize) => void): () => void;
}

export function hostTerminal(
  stdin: NodeJS.ReadStream = process.stdin,
  stdout: NodeJS.WriteStream = process.stdout,
): HostTerminal {
  const size = () => (stdout.isTTY ? { columns: stdout.columns, rows: stdout.rows } : undefined);
  return {
    size,
    attach(onResize) {
      const wasRaw = stdin.isTTY ? stdin.isRaw : false;
      const fd = (stdin as { fd?: number }).fd ?? 0;
      const saved = stdin.isTTY ? stty(fd, ["-g"]) : undefined;
      if (stdin.isTTY) {
        stdin.setRawMode(true);
        stty(fd, ["-opost"]);
      }
      const fire = () => {
        const s = size();
        if (s) onResize(s);
      };
      fire();
      process.on("SIGWINCH", fire);
      return () => {
        process.off("SIGWINCH", fire);
        if (stdin.isTTY) stdin.setRawMode(wasRaw);
        if (saved) stty(fd, [saved]);
      };
    },
  };
}
