// Flags shared by the forks subcommands.
import type { ArgsDef } from "citty";
import { repeated } from "../../args.ts";

export const dirArg = {
  dir: {
    type: "string",
    description: "Directory holding the fork checkouts (default: next to the runm checkout)",
  },
} as const satisfies ArgsDef;

export const upstreamArg = {
  upstream: {
    type: "string",
    description:
      "NAME=URL: fetch fork NAME from URL (a local path works); repeatable. Env: RUNM_FORKS_UPSTREAM_<NAME>",
  },
  from: {
    type: "string",
    description:
      "DIR of local git mirrors, one per fork (DIR/NAME or DIR/NAME.git): fetch from them, not upstream",
  },
} as const satisfies ArgsDef;

/** Positional fork names: everything before `--` that is not a flag or a flag's value. */
export function forkNames(positional: unknown): string[] {
  return Array.isArray(positional) ? positional.map(String) : [];
}

export const upstreamValues = (rawArgs: string[]) => repeated(rawArgs, ["upstream"]);
