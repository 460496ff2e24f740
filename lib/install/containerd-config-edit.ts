// The one edit runm makes to containerd's own config file, as text so every other byte (comments,
// order, formatting) stays the operator's: an entry in its top-level `imports` list naming runm's
// drop-in (containerd 1.7 and 2.x merge an imported file into the config), or, for containerd 1.6,
// whose imports replace a plugin's whole table (an import would reset the operator's CRI
// settings), runm's table appended between two marker lines. A multi-line `imports` array is not
// rewritten: the operator is told the line to add.
import { invalidArgument, messageOf } from "../errors.ts";

const q = (s: string) => JSON.stringify(s); // TOML basic strings share JSON's escapes for paths

/** Where the top-level key section ends: the first table header. */
function firstTable(lines: string[]): number {
  const i = lines.findIndex((l) => /^\s*\[/.test(l));
  return i === -1 ? lines.length : i;
}

function importsLine(lines: string[]): number {
  const end = firstTable(lines);
  for (let i = 0; i < end; i++) if (/^\s*imports\s*=/.test(lines[i] as string)) return i;
  return -1;
}

function parseImports(line: string, file: string): string[] {
  try {
    const v = (Bun.TOML.parse(line) as { imports?: unknown }).imports;
    if (Array.isArray(v) && v.every((x) => typeof x === "string")) return v;
  } catch {
    // a multi-line array or a trailing comment that spans: handled below
  }
  throw invalidArgument(`${file}: cannot edit its imports line (${line.trim()})`, {
    hint: 'write it on one line as imports = ["..."], or add runm\'s drop-in to it by hand',
  });
}

/** `text` with `path` in its imports (unchanged when it is there already). */
export function addImport(text: string, path: string, file = "containerd's config"): string {
  const lines = text.split("\n");
  const at = importsLine(lines);
  if (at >= 0) {
    const list = parseImports(lines[at] as string, file);
    if (list.includes(path)) return text;
    lines[at] = `imports = [${[...list, path].map(q).join(", ")}]`;
    return lines.join("\n");
  }
  // A new top-level key goes after `version` (or first) and before any table.
  const version = lines.slice(0, firstTable(lines)).findIndex((l) => /^\s*version\s*=/.test(l));
  lines.splice(version + 1, 0, `imports = [${q(path)}]`);
  return lines.join("\n");
}

/** `text` without `path` in its imports; the line goes when runm's was its only entry. */
export function removeImport(text: string, path: string, file = "containerd's config"): string {
  const lines = text.split("\n");
  const at = importsLine(lines);
  if (at < 0) return text;
  const list = parseImports(lines[at] as string, file);
  if (!list.includes(path)) return text;
  const rest = list.filter((p) => p !== path);
  if (rest.length) lines[at] = `imports = [${rest.map(q).join(", ")}]`;
  else lines.splice(at, 1);
  return lines.join("\n");
}

export const BLOCK_BEGIN = "# BEGIN runm install (runm uninstall removes this block)";
export const BLOCK_END = "# END runm install";

/** `text` with `block` appended between the markers; refused when the result is not valid TOML. */
export function addBlock(text: string, block: string, file = "containerd's config"): string {
  if (text.includes(BLOCK_BEGIN)) return text;
  const sep = text === "" || text.endsWith("\n") ? "" : "\n";
  const out = `${text}${sep}\n${BLOCK_BEGIN}\n${block.trimEnd()}\n${BLOCK_END}\n`;
  try {
    Bun.TOML.parse(out);
  } catch (e) {
    throw invalidArgument(`${file}: adding runm's runtime makes it invalid (${messageOf(e)})`, {
      hint: "it may define the runtime runm already; remove that table or add runm's by hand",
    });
  }
  return out;
}

/** `text` without the marked block (and the blank line and newline addBlock put before it). */
export function removeBlock(text: string): string {
  const begin = text.indexOf(`\n${BLOCK_BEGIN}\n`);
  const end = text.indexOf(`${BLOCK_END}\n`, begin);
  if (begin < 0 || end < 0) return text;
  return text.slice(0, begin) + text.slice(end + BLOCK_END.length + 1);
}
