// forks/forks.json: one entry per fork (upstream URL, pinned base commit and its tag, target
// directory, build command). Parsed strictly so a typo fails loudly, written atomically by sync.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { invalidArgument, messageOf, notFound } from "../errors.ts";
import { writeFileAtomic } from "../fs-atomic.ts";
import { REPO_ROOT } from "../paths.ts";
import { closestName } from "./names.ts";
import { checkUpstreamUrl } from "./upstream.ts";

export interface ForkBuild {
  /** argv run in the fork's directory; "{out}" stands for the output directory. */
  cmd: string[];
  /** Files the build produces, relative to the output directory. */
  outputs: string[];
}

export interface ForkSpec {
  name: string;
  /** Canonical https URL of the upstream repository. */
  upstream: string;
  /** Full 40-hex commit the series applies to. */
  base: string;
  /** `git describe --tags` of base: a tag when base is tagged, or null when upstream has no tags. */
  describe: string | null;
  /** Directory name of the checkout, relative to the forks directory. */
  dir: string;
  /** Why runm needs this fork (one line, shown by status --json and in docs). */
  why: string;
  /** Anything a reader must know about the pin (e.g. where an untagged pin comes from). */
  note?: string;
  build: ForkBuild;
}

export interface Manifest {
  forks: ForkSpec[];
}

/** Where the manifest and series live: forks/ of the checkout, or RUNM_FORKS_ROOT (tests). */
export function forksRoot(env: Record<string, string | undefined> = process.env): string {
  return env.RUNM_FORKS_ROOT || join(REPO_ROOT, "forks");
}

export const manifestPath = (root: string) => join(root, "forks.json");
export const seriesDir = (root: string, name: string) => join(root, name);

const HEX40 = /^[0-9a-f]{40}$/;
const NAME = /^[a-z0-9][a-z0-9-]*$/;

export function parseManifest(text: string, file: string): Manifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw invalidArgument(`${file} is not valid JSON: ${messageOf(e)}`, { hint: "fix the syntax" });
  }
  const forks = (raw as { forks?: unknown })?.forks;
  if (!Array.isArray(forks)) throw invalidArgument(`${file}: expected {"forks": [...]}`);
  const seen = new Set<string>();
  for (const [i, f] of forks.entries()) {
    const where = `${file}: forks[${i}]`;
    const s = f as Partial<ForkSpec>;
    const str = (k: keyof ForkSpec) => {
      if (typeof s[k] !== "string" || !s[k])
        throw invalidArgument(`${where}.${k} must be a non-empty string`);
    };
    for (const k of ["name", "upstream", "base", "dir", "why"] as const) str(k);
    if (!NAME.test(s.name as string)) throw invalidArgument(`${where}.name "${s.name}" is not a valid name`);
    if (seen.has(s.name as string)) throw invalidArgument(`${where}: duplicate fork "${s.name}"`);
    seen.add(s.name as string);
    if (!HEX40.test(s.base as string))
      throw invalidArgument(`${where}.base must be a full 40-hex commit id, got "${s.base}"`);
    if (s.describe !== null && typeof s.describe !== "string")
      throw invalidArgument(`${where}.describe must be a string or null`);
    if (!(s.upstream as string).startsWith("https://"))
      throw invalidArgument(`${where}.upstream must be an https:// URL, got "${s.upstream}"`);
    checkUpstreamUrl(s.upstream as string, `${where}.upstream`);
    if (s.dir?.includes("/") || s.dir === "." || s.dir === "..")
      throw invalidArgument(`${where}.dir must be a plain directory name`);
    const b = s.build as ForkBuild | undefined;
    if (!b || !Array.isArray(b.cmd) || !b.cmd.length || !Array.isArray(b.outputs))
      throw invalidArgument(`${where}.build must be {"cmd": [...], "outputs": [...]}`);
  }
  return { forks: forks as ForkSpec[] };
}

export function loadManifest(root = forksRoot()): Manifest {
  const file = manifestPath(root);
  if (!existsSync(file))
    throw notFound(`no fork manifest at ${file}`, {
      hint: "run runm from its checkout, which has forks/forks.json",
    });
  return parseManifest(readFileSync(file, "utf8"), file);
}

export async function saveManifest(root: string, m: Manifest): Promise<void> {
  await writeFileAtomic(manifestPath(root), `${JSON.stringify(m, null, 2)}\n`);
}

/** The named forks (all when names is empty); an unknown name lists the known ones. */
export function selectForks(m: Manifest, names: string[]): ForkSpec[] {
  if (!names.length) return m.forks;
  const known = m.forks.map((f) => f.name);
  return names.map((n) => {
    const f = m.forks.find((x) => x.name === n);
    if (f) return f;
    const guess = closestName(n, known);
    throw invalidArgument(`unknown fork "${n}"`, {
      hint: `${guess ? `did you mean "${guess}"? ` : ""}known forks: ${known.join(", ")}`,
    });
  });
}
