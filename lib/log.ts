// The one logger factory. Every component takes a tagged child (`logger("build")`); the level is
// set once from --log-level / RUNM_LOG_LEVEL and reaches every child. Our own few lines rather
// than a logging library: every runm process loads this (the shim's `start`, `serve` and
// `delete` once per container, the guest agent under TCG), and consola alone took ≈ 40 ms and
// 16 MB of each (measured with compiled binaries; docs/ARCHITECTURE.md). For the same reason it
// writes to fd 2 directly: Bun builds process.stderr's stream (≈ 10 MB) on first use.
//
// Lines go to stderr (stdout stays clean for data, --json and container output):
//   `[level] [tag] message`          the shim's log, the guest console, CI (what log-stream parses)
//   `level [tag] message` in colour  on a terminal
import { fstatSync, writeSync } from "node:fs";

export const LOG_LEVELS = ["silent", "error", "warn", "info", "debug", "trace"] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];

type LineLevel = Exclude<LogLevelName, "silent">;
const RANK: Record<LogLevelName, number> = { silent: -1, error: 0, warn: 1, info: 3, debug: 4, trace: 5 };

export interface Logger {
  error(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  info(...args: unknown[]): void;
  debug(...args: unknown[]): void;
  trace(...args: unknown[]): void;
}

export function isLogLevelName(s: string): s is LogLevelName {
  return (LOG_LEVELS as readonly string[]).includes(s);
}

function initialLevel(): LogLevelName {
  const env = process.env.RUNM_LOG_LEVEL ?? "";
  return isLogLevelName(env) ? env : "info";
}

let current: LogLevelName = initialLevel();
// Colour on a user's terminal only: a character device (node:tty's isatty would cost as much as
// the stream; /dev/null is one too, where colour codes harm nothing) under a TERM that is not the
// kernel's own `linux` (the guest console, where the agent logs plainly) nor `dumb`.
const term = process.env.TERM ?? "";
let colour =
  stderrIsCharDevice() && !["", "dumb", "linux"].includes(term) && !process.env.CI && !process.env.NO_COLOR;

function stderrIsCharDevice(): boolean {
  try {
    return fstatSync(2).isCharacterDevice();
  } catch {
    return false;
  }
}
const COLOUR: Record<LineLevel, string> = { error: "31", warn: "33", info: "36", debug: "90", trace: "90" };

export function setLogLevel(name: LogLevelName): void {
  current = name;
  // Child processes (shim, dev containerd) inherit the choice.
  process.env.RUNM_LOG_LEVEL = name;
}

let logFd = 2;

/**
 * Where lines go from now on (default fd 2): a spare shim, started with no log, writes into the
 * log FIFO of the container that claims it.
 */
export function setLogFd(fd: number): void {
  logFd = fd;
  colour = false; // a FIFO or file: plain lines, as containerd's log parses them
}

export function logLevelName(): LogLevelName {
  return current;
}

/** Strings as they are, an Error as its message (one line, never a stack trace), else inspected. */
const show = (a: unknown) =>
  typeof a === "string"
    ? a
    : a instanceof Error
      ? a.message
      : Bun.inspect(a, { colors: false, compact: true });

function write(level: LineLevel, tag: string, args: unknown[]): void {
  if (RANK[level] > RANK[current]) return;
  const text = args.map(show).join(" ");
  const tagged = tag ? ` [${tag}]` : "";
  const line = colour
    ? `\x1b[${COLOUR[level]}m${level}\x1b[0m${tagged} ${text}`
    : `[${level}]${tagged} ${text}`;
  try {
    writeSync(logFd, `${line}\n`);
  } catch {
    // stderr closed (a shim whose log fifo is gone): nothing to tell
  }
}

export function logger(tag: string): Logger {
  return {
    error: (...a) => write("error", tag, a),
    warn: (...a) => write("warn", tag, a),
    info: (...a) => write("info", tag, a),
    debug: (...a) => write("debug", tag, a),
    trace: (...a) => write("trace", tag, a),
  };
}

export const log: Logger = logger("");
