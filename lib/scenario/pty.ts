// Terminals for tty steps. `inPty` wraps a command in util-linux `script`, which gives it a real
// pty of a chosen size. `TmuxTerminal` runs a command in a detached tmux window on a private
// socket whose size the scenario changes (resize-window), like a user dragging a terminal; the
// output lands in a file through `script` inside the pane, which passes each resize on.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../fs-atomic.ts";
import { requireTool } from "../tools.ts";
import type { Sh } from "./client.ts";

export const shellQuote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`);

/** argv that runs `argv` on a fresh pty of rows×cols and copies its output to stdout. */
export function inPty(argv: string[], size = { rows: 24, cols: 80 }): string[] {
  const script = requireTool("script", "to give tty steps a terminal");
  const cmd = `stty rows ${size.rows} cols ${size.cols}; exec ${argv.map(shellQuote).join(" ")}`;
  return [script, "--quiet", "--flush", "--return", "--command", cmd, "/dev/null"];
}

export class TmuxTerminal {
  private readonly socket: string;
  private readonly log: string;
  private readonly tmux = requireTool("tmux", "to resize a terminal in tty steps");

  constructor(
    private readonly dir: string,
    private readonly sh: Sh,
  ) {
    this.socket = join(dir, "tmux.sock");
    this.log = join(dir, "tty.log");
  }

  private t(args: string[]) {
    return this.sh([this.tmux, "-S", this.socket, ...args], { quiet: true });
  }

  async start(argv: string[], size: { rows: number; cols: number }): Promise<void> {
    const conf = join(this.dir, "tmux.conf");
    // No status line: the pane gets the whole window, so the window size is the tty size.
    await writeFileAtomic(conf, "set -g status off\nset -g remain-on-exit on\n");
    const inner = `script --quiet --flush --command ${shellQuote(argv.map(shellQuote).join(" "))} ${shellQuote(this.log)}`;
    await this.sh(
      [
        this.tmux,
        "-S",
        this.socket,
        "-f",
        conf,
        "new-session",
        "-d",
        "-s",
        "scn",
        "-x",
        `${size.cols}`,
        "-y",
        `${size.rows}`,
        inner,
      ],
      { quiet: true },
    );
  }

  resize(size: { rows: number; cols: number }) {
    return this.t(["resize-window", "-t", "scn", "-x", `${size.cols}`, "-y", `${size.rows}`]);
  }

  output(): string {
    try {
      return readFileSync(this.log, "utf8").replaceAll("\r", "");
    } catch {
      return "";
    }
  }

  /** Ends the tmux server on this private socket (and with it the pane's processes). */
  async stop(): Promise<void> {
    await this.sh([this.tmux, "-S", this.socket, "kill-server"], { allowFail: true, quiet: true });
  }
}
