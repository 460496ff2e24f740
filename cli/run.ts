// Runs the command tree with one error convention: an expected failure prints one line (what went
// wrong; how to fix it) and exits 1; a usage error prints the line plus usage and exits 2; an
// unexpected error says so and points at --debug, which shows the full cause chain.
import { type ArgsDef, type CommandDef, runCommand } from "citty";
import { RunmError } from "../lib/errors.ts";
import { setLogLevel } from "../lib/log.ts";
import { checkUnknownFlags, extractGlobalFlags, UsageError } from "./args.ts";
import { usageText } from "./command.ts";

// biome-ignore lint/suspicious/noExplicitAny: citty's CommandDef is invariant in its args; any command must fit
type AnyCommand = CommandDef<any>;

const resolve = async <T>(v: T | Promise<T> | (() => T | Promise<T>) | undefined): Promise<T | undefined> =>
  typeof v === "function" ? await (v as () => T | Promise<T>)() : await v;

/** Walk the argv down the subcommand tree: the leaf command, its parent, and the leaf's own argv. */
async function resolveLeaf(root: AnyCommand, argv: string[]) {
  let cmd = root;
  let parent: AnyCommand | undefined;
  let rest = argv;
  const names: string[] = [];
  for (;;) {
    const subs = await resolve(cmd.subCommands);
    if (!subs) break;
    const argsDef = ((await resolve(cmd.args)) ?? {}) as ArgsDef;
    const idx = rest.findIndex((a, i) => !a.startsWith("-") && !isValueOf(rest, i, argsDef));
    const name = idx >= 0 ? rest[idx] : undefined;
    if (!name || rest.slice(0, idx).includes("--")) break;
    const sub = subs[name] ? await resolve(subs[name]) : undefined;
    if (!sub) return { cmd, parent: await fullName(root, parent, names), rest, unknown: name };
    names.push(name);
    parent = cmd;
    cmd = sub as AnyCommand;
    rest = rest.slice(idx + 1);
  }
  return { cmd, parent: await fullName(root, parent, names), rest, unknown: undefined };
}

/** Usage shows the full path ("runm vm run"), not just the immediate parent's name. */
async function fullName(root: AnyCommand, parent: AnyCommand | undefined, names: string[]) {
  if (!parent) return undefined;
  return {
    meta: { ...(await resolve(root.meta)), name: ["runm", ...names.slice(0, -1)].join(" ") },
  } as AnyCommand;
}

function isValueOf(argv: string[], i: number, def: ArgsDef): boolean {
  const prev = argv[i - 1];
  if (!prev?.startsWith("--") || prev.includes("=")) return false;
  const a = def[prev.slice(2)];
  return a?.type === "string" || a?.type === "enum";
}

function printCause(e: unknown, depth = 0): void {
  if (depth > 8 || e === undefined) return;
  const err = e as Error;
  process.stderr.write(`${depth ? "caused by: " : ""}${err?.stack ?? String(e)}\n`);
  printCause(err?.cause, depth + 1);
}

export async function runCli(root: AnyCommand, argv: string[]): Promise<number> {
  let debug = argv.includes("--debug");
  let leaf: { cmd: AnyCommand; parent?: AnyCommand } = { cmd: root };
  try {
    const { flags, rest } = extractGlobalFlags(argv);
    debug = flags.debug;
    if (flags.logLevel) setLogLevel(flags.logLevel);
    else if (debug) setLogLevel("debug");
    const resolved = await resolveLeaf(root, rest);
    leaf = resolved;
    if (resolved.unknown) throw new UsageError(`unknown command "${resolved.unknown}"`);
    const beforeDashes = resolved.rest.slice(0, resolved.rest.indexOf("--") >>> 0);
    if (beforeDashes.includes("--help") || beforeDashes.includes("-h")) {
      process.stdout.write(`${await usageText(resolved.cmd, resolved.parent)}\n`);
      return 0;
    }
    if (rest.length === 1 && rest[0] === "--version") {
      const meta = await resolve(root.meta);
      process.stdout.write(`${meta?.version ?? "unknown"}\n`);
      return 0;
    }
    const subs = await resolve(resolved.cmd.subCommands);
    if (subs && !resolved.cmd.run) {
      // A group given no subcommand: show what it offers.
      process.stderr.write(`${await usageText(resolved.cmd, resolved.parent)}\n`);
      return resolved.rest.length ? 2 : 0;
    }
    checkUnknownFlags(resolved.rest, ((await resolve(resolved.cmd.args)) ?? {}) as ArgsDef);
    await runCommand(root, { rawArgs: rest });
    return 0;
  } catch (e) {
    const name = (e as Error)?.name;
    if (e instanceof UsageError || name === "CLIError") {
      process.stderr.write(`runm: ${(e as Error).message}\n\n${await usageText(leaf.cmd, leaf.parent)}\n`);
      return 2;
    }
    if (e instanceof RunmError) {
      process.stderr.write(`runm: ${e.oneLine()}\n`);
      for (const line of e.details) process.stderr.write(`  | ${line}\n`);
      if (debug) printCause(e);
      return e.kind === "InvalidArgument" ? 2 : 1;
    }
    process.stderr.write(`runm: internal error: ${(e as Error)?.message ?? String(e)}\n`);
    if (debug) printCause(e);
    else process.stderr.write("runm: run again with --debug for the stack trace, and report it as a bug\n");
    return 1;
  }
}
