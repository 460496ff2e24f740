// Argument helpers citty lacks: global flags that may appear anywhere, unknown-flag detection, and
// repeatable flags (-e K=V -e K=V), which citty's parser collapses to the last value.
import type { ArgsDef } from "citty";
import { LOG_LEVELS, type LogLevelName } from "../lib/log.ts";

export class UsageError extends Error {
  override name = "UsageError";
}

export interface GlobalFlags {
  debug: boolean;
  logLevel?: LogLevelName;
}

/** Remove --debug and --log-level[=]X (before any `--`) and return them with the rest. */
export function extractGlobalFlags(argv: string[]): { flags: GlobalFlags; rest: string[] } {
  const flags: GlobalFlags = { debug: false };
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === "--") {
      rest.push(...argv.slice(i));
      break;
    }
    if (a === "--debug") {
      flags.debug = true;
      continue;
    }
    if (a === "--log-level" || a.startsWith("--log-level=")) {
      const value = a.includes("=") ? a.slice(a.indexOf("=") + 1) : argv[++i];
      if (!value || !(LOG_LEVELS as readonly string[]).includes(value)) {
        throw new UsageError(
          `invalid --log-level ${value ?? "(missing)"}: expected one of ${LOG_LEVELS.join(", ")}`,
        );
      }
      flags.logLevel = value as LogLevelName;
      continue;
    }
    rest.push(a);
  }
  return { flags, rest };
}

const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** Throws UsageError for the first flag the command does not declare. */
export function checkUnknownFlags(rawArgs: string[], def: ArgsDef): void {
  const known = new Map<string, "boolean" | "string">();
  for (const [name, arg] of Object.entries(def)) {
    if (arg.type === "positional") continue;
    const kind = arg.type === "boolean" ? "boolean" : "string";
    const alias = (arg as { alias?: string | string[] }).alias;
    const aliases = alias === undefined ? [] : Array.isArray(alias) ? alias : [alias];
    for (const n of [name, kebab(name), ...aliases]) known.set(n, kind);
  }
  for (let i = 0; i < rawArgs.length; i++) {
    const a = rawArgs[i] as string;
    if (a === "--") return;
    if (!a.startsWith("-") || a === "-") continue;
    if (a.startsWith("--")) {
      let name = a.slice(2).split("=")[0] as string;
      if (!known.has(name) && name.startsWith("no-") && known.get(name.slice(3)) === "boolean")
        name = name.slice(3);
      const kind = known.get(name);
      if (!kind) throw new UsageError(`unknown flag --${name}`);
      if (kind === "string" && !a.includes("=")) i++;
      continue;
    }
    // Short flags, possibly clustered (-it); a string flag consumes the rest or the next arg.
    const letters = a.slice(1);
    for (let j = 0; j < letters.length; j++) {
      const kind = known.get(letters[j] as string);
      if (!kind) throw new UsageError(`unknown flag -${letters[j]}`);
      if (kind === "string") {
        if (j === letters.length - 1) i++;
        break;
      }
    }
  }
}

/** All values of a repeatable string flag, in order (`-e A=1 --env=B=2`). */
export function repeated(rawArgs: string[], names: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < rawArgs.length; i++) {
    const a = rawArgs[i] as string;
    if (a === "--") break;
    for (const n of names) {
      const flag = n.length === 1 ? `-${n}` : `--${n}`;
      if (a === flag && i + 1 < rawArgs.length) {
        out.push(rawArgs[++i] as string);
      } else if (a.startsWith(`${flag}=`)) {
        out.push(a.slice(flag.length + 1));
      }
    }
  }
  return out;
}

/** Arguments after the first `--` (the container command in `runm vm run ... -- CMD ARGS`). */
export function afterDoubleDash(rawArgs: string[]): string[] {
  const i = rawArgs.indexOf("--");
  return i < 0 ? [] : rawArgs.slice(i + 1);
}
