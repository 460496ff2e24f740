// Finding scenarios: every .ts file in the scenarios dir (recursively; not *.test.ts, not _*.ts,
// nothing under a _dir such as _apps/, the projects scenarios run) default-exports a Scenario or
// an array of them.
import { existsSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { invalidArgument, notFound } from "../errors.ts";
import { REPO_ROOT } from "../paths.ts";
import type { Scenario } from "./types.ts";

export const SCENARIO_DIR_ENV = "RUNM_SCENARIO_DIR";

export function scenarioDir(): string {
  return process.env[SCENARIO_DIR_ENV] || join(REPO_ROOT, "scenarios");
}

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter(
      (e) =>
        e.isFile() &&
        e.name.endsWith(".ts") &&
        !e.name.endsWith(".test.ts") &&
        !relative(dir, join(e.parentPath, e.name))
          .split("/")
          .some((part) => part.startsWith("_")),
    )
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

export async function loadScenarios(dir = scenarioDir()): Promise<Scenario[]> {
  if (!existsSync(dir))
    throw notFound(`no scenario dir at ${dir}`, { hint: `create it or unset ${SCENARIO_DIR_ENV}` });
  const out: Scenario[] = [];
  const seen = new Map<string, string>();
  for (const file of files(dir)) {
    const mod = (await import(file)) as { default?: Scenario | Scenario[] };
    const list = Array.isArray(mod.default) ? mod.default : mod.default ? [mod.default] : [];
    for (const s of list) {
      const prev = seen.get(s.id);
      if (prev)
        throw invalidArgument(`scenario id ${s.id} is defined twice: ${prev} and ${relative(dir, file)}`);
      seen.set(s.id, relative(dir, file));
      out.push(s);
    }
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Resolve ids (exact, or a prefix ending in `*`) to scenarios, in the order asked. */
export function selectScenarios(all: Scenario[], ids: string[]): Scenario[] {
  const out: Scenario[] = [];
  for (const id of ids) {
    const hits = id.endsWith("*")
      ? all.filter((s) => s.id.startsWith(id.slice(0, -1)))
      : all.filter((s) => s.id === id);
    if (!hits.length)
      throw notFound(`unknown scenario ${id}`, {
        hint: `known: ${all.map((s) => s.id).join(", ")} (runm scenario list)`,
      });
    for (const s of hits) if (!out.includes(s)) out.push(s);
  }
  return out;
}
