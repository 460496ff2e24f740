#!/usr/bin/env bun
// runm's entry point: parse, dispatch, exit with the command's status. No top-level await: the
// compiled runm (the Debian package's) carries bytecode, which `bun build --bytecode` makes only
// for modules without one.
import { root } from "./root.ts";
import { runCli } from "./run.ts";

void runCli(root, process.argv.slice(2)).then((code) => {
  process.exit(process.exitCode && code === 0 ? Number(process.exitCode) : code);
});
