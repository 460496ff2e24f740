// The one logger factory. Every component takes a tagged child (`logger("build")`); the level is
// set once from --log-level / RUNM_LOG_LEVEL. The guest agent uses the basic reporter (no TTY).
import { type ConsolaInstance, createConsola, LogLevels, type LogType } from "consola";

export const LOG_LEVELS = ["silent", "error", "warn", "info", "debug", "trace"] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];

const levelNumber = (name: LogLevelName): number => LogLevels[name as LogType] ?? LogLevels.info;

function initialLevel(): number {
  const env = process.env.RUNM_LOG_LEVEL as LogLevelName | undefined;
  return env && (LOG_LEVELS as readonly string[]).includes(env) ? levelNumber(env) : LogLevels.info;
}

// Logs go to stderr so that stdout stays clean for data (--json) and container output.
// The fancy reporter (icons, colours) only on a terminal; the guest console, shim logs and CI get
// the basic one.
const options = {
  level: initialLevel(),
  fancy: Boolean(process.stderr.isTTY) && !process.env.CI,
  stdout: process.stderr,
  stderr: process.stderr,
  formatOptions: { date: false },
};
const root: ConsolaInstance = createConsola(options as Parameters<typeof createConsola>[0]);

/** Every tagged child: consola copies the level into a child when it is made, so a change of level
 * must reach each one (module-level loggers are made before the command line is parsed). */
const children = new Set<ConsolaInstance>();

export function isLogLevelName(s: string): s is LogLevelName {
  return (LOG_LEVELS as readonly string[]).includes(s);
}

export function setLogLevel(name: LogLevelName): void {
  root.level = levelNumber(name);
  for (const c of children) c.level = root.level;
  // Child processes (shim, dev containerd) inherit the choice.
  process.env.RUNM_LOG_LEVEL = name;
}

export function logLevelName(): LogLevelName {
  return LOG_LEVELS.find((n) => levelNumber(n) === root.level) ?? "info";
}

export function logger(tag: string): ConsolaInstance {
  const child = root.withTag(tag);
  children.add(child);
  return child;
}

export const log = root;
