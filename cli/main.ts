#!/usr/bin/env bun
// runm's entry point: parse, dispatch, exit with the command's status.
import { root } from "./root.ts";
import { runCli } from "./run.ts";

const code = await runCli(root, process.argv.slice(2));
process.exit(process.exitCode && code === 0 ? Number(process.exitCode) : code);
