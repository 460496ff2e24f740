// A fork's patch series: forks/<name>/NNNN-*.patch in `git format-patch` form. Parsed and
// checked here (numbering, headers, a one-paragraph message, a diff) so a broken series is caught
// before git am sees it.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { invalidArgument } from "../errors.ts";

export interface SeriesPatch {
  file: string;
  path: string;
  index: number;
  subject: string;
  author: string;
  body: string;
  text: string;
}

const FILE = /^(\d{4})-[A-Za-z0-9._-]+\.patch$/;
const FIRST = /^From [0-9a-f]{40} Mon Sep 17 00:00:00 2001$/;
const TRAILER = /^[A-Za-z][A-Za-z-]*: /;

/** Parse one format-patch file; throws InvalidArgument naming the file and the problem. */
export function parsePatch(
  text: string,
  file: string,
): Omit<SeriesPatch, "file" | "path" | "index"> & {
  number: [number, number] | null;
} {
  const bad = (why: string) => invalidArgument(`${file} is not a well-formed patch: ${why}`);
  const lines = text.split("\n");
  if (!FIRST.test(lines[0] ?? "")) throw bad('first line must be "From <sha> Mon Sep 17 00:00:00 2001"');
  const headers = new Map<string, string>();
  let i = 1;
  let last = "";
  for (; i < lines.length && lines[i] !== ""; i++) {
    const l = lines[i] as string;
    if (l.startsWith(" ") && last) headers.set(last, `${headers.get(last)}${l}`);
    else {
      const c = l.indexOf(":");
      if (c <= 0) throw bad(`bad header line "${l}"`);
      last = l.slice(0, c);
      headers.set(last, l.slice(c + 1).trim());
    }
  }
  for (const h of ["From", "Date", "Subject"]) if (!headers.get(h)) throw bad(`missing ${h}: header`);
  const m = /^\[PATCH(?: (\d+)\/(\d+))?\] (.+)$/.exec(headers.get("Subject") as string);
  if (!m) throw bad('Subject must start with "[PATCH]" or "[PATCH n/m]"');
  const end = lines.indexOf("---", i);
  if (end < 0) throw bad('no "---" line after the message');
  const body = lines
    .slice(i + 1, end)
    .join("\n")
    .trim();
  const paragraphs = body
    .split(/\n\s*\n/)
    .map((p) => p.trim())
    .filter((p) => p && !p.split("\n").every((l) => TRAILER.test(l)));
  if (paragraphs.length !== 1)
    throw bad(`the message must be one paragraph explaining the change (found ${paragraphs.length})`);
  if (!lines.slice(end).some((l) => l.startsWith("diff --git "))) throw bad("no diff");
  return {
    subject: m[3] as string,
    author: headers.get("From") as string,
    body,
    text,
    number: m[1] ? [Number(m[1]), Number(m[2])] : null,
  };
}

/** The series in dir, in order, checked for numbering; [] when dir is missing or empty. */
export function readSeries(dir: string): SeriesPatch[] {
  if (!existsSync(dir)) return [];
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".patch"))
    .sort();
  const out: SeriesPatch[] = [];
  for (const [k, file] of files.entries()) {
    const fm = FILE.exec(file);
    if (!fm) throw invalidArgument(`${join(dir, file)}: patch files must be named NNNN-subject.patch`);
    if (Number(fm[1]) !== k + 1)
      throw invalidArgument(`${join(dir, file)}: expected number ${String(k + 1).padStart(4, "0")}`, {
        hint: "the series must be numbered 0001, 0002, ... without gaps (runm forks export renumbers it)",
      });
    const path = join(dir, file);
    const p = parsePatch(readFileSync(path, "utf8"), path);
    const n = p.number;
    if (files.length > 1 && (!n || n[0] !== k + 1 || n[1] !== files.length))
      throw invalidArgument(`${path}: Subject must say [PATCH ${k + 1}/${files.length}]`);
    out.push({ file, path, index: k + 1, subject: p.subject, author: p.author, body: p.body, text: p.text });
  }
  return out;
}
