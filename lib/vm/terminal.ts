// The host terminal for `runm vm run -t`: raw mode while the container owns it, and its size
// forwarded on start and on every SIGWINCH. Always restored, including on errors.
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
      if (stdin.isTTY) stdin.setRawMode(true);
      const fire = () => {
        const s = size();
        if (s) onResize(s);
      };
      fire();
      process.on("SIGWINCH", fire);
      return () => {
        process.off("SIGWINCH", fire);
        if (stdin.isTTY) stdin.setRawMode(wasRaw);
      };
    },
  };
}
