// One readable log for the dev containerd: containerd's own lines plus every shim's and guest
// console's log file (written under the log dir as <source>-<container id>.log), each line tagged
// with its source and container id and coloured by source.
import { closeSync, openSync, readdirSync, readSync, statSync } from "node:fs";
import { join } from "node:path";

export interface LogLine {
  source: string;
  id?: string;
  text: string;
}

const COLOURS: Record<string, number> = { containerd: 34, shim: 35, console: 32, runm: 36 };
const ID_COLOURS = [33, 36, 91, 92, 93, 94, 95, 96];

const paint = (code: number, s: string, on: boolean) => (on ? `\x1b[${code}m${s}\x1b[0m` : s);

function idColour(id: string): number {
  let h = 0;
  for (const c of id) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return ID_COLOURS[h % ID_COLOURS.length] ?? 33;
}

export function formatLine(l: LogLine, colour: boolean): string {
  const src = paint(COLOURS[l.source] ?? 37, l.source.padEnd(10), colour);
  const id = l.id ? paint(idColour(l.id), l.id.slice(0, 16).padEnd(16), colour) : " ".repeat(16);
  return `${src} ${id} | ${l.text}`;
}

/** containerd's logfmt line: its msg (plus the error, if any) and the container id, when named. */
export function parseContainerdLine(line: string): LogLine {
  const field = (k: string) => line.match(new RegExp(`(?:^|\\s)${k}=("(?:[^"\\\\]|\\\\.)*"|\\S+)`))?.[1];
  const unq = (v?: string) => (v?.startsWith('"') ? (JSON.parse(v) as string) : v);
  const msg = unq(field("msg"));
  if (msg === undefined) return { source: "containerd", text: line };
  const level = unq(field("level"));
  const err = unq(field("error"));
  const id = unq(field("id")) ?? unq(field("container"));
  const fromShim = field("runtime")?.includes("runm") || /shim/.test(unq(field("pkg")) ?? "");
  const text = `${level && level !== "info" ? `${level}: ` : ""}${msg}${err ? ` error=${err}` : ""}`;
  return { source: fromShim ? "shim" : "containerd", id, text };
}

/** `<source>-<id>.log` → source and id (`console-web1.log` → console, web1). */
export function parseLogFileName(name: string): { source: string; id?: string } | undefined {
  const m = name.match(/^([a-z]+)(?:-(.+))?\.log$/);
  return m ? { source: m[1] as string, id: m[2] } : undefined;
}

/** Follows every *.log file in `dir` (new ones too) by polling; returns a stop function. */
export function followLogDir(dir: string, emit: (l: LogLine) => void, everyMs = 200): () => void {
  const offsets = new Map<string, number>();
  const partial = new Map<string, string>();
  const poll = () => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      const who = parseLogFileName(name);
      if (!who) continue;
      const path = join(dir, name);
      let size: number;
      try {
        size = statSync(path).size;
      } catch {
        continue;
      }
      const from = offsets.get(name) ?? 0;
      if (size <= from) continue;
      const buf = Buffer.alloc(size - from);
      const fd = openSync(path, "r");
      try {
        readSync(fd, buf, 0, buf.length, from);
      } finally {
        closeSync(fd);
      }
      offsets.set(name, size);
      const text = (partial.get(name) ?? "") + buf.toString("utf8");
      const lines = text.split("\n");
      partial.set(name, lines.pop() ?? "");
      for (const line of lines) emit({ ...who, text: line.replace(/\r$/, "") });
    }
  };
  const timer = setInterval(poll, everyMs);
  return () => {
    clearInterval(timer);
    poll();
  };
}
