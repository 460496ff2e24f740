// One readable log for the dev containerd: containerd's own lines plus every shim's and guest
// console's log (files under the log dir named <source>-<container id>.log, and the console the shim
// links into each bundle), each line tagged
// with its source and container id and coloured by source.
import { closeSync, existsSync, openSync, readdirSync, readSync, statSync } from "node:fs";
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

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI escapes is the point
const ANSI = /\x1b\[[0-9;]*m/g;

/**
 * A line from containerd's output: its own logfmt (msg, error, container id when named), or a
 * line a shim wrote to its log fifo, which containerd copies through unchanged: runm's shim
 * logs `[shim] ...` (consola's tag), optionally naming the container as `ns/id`.
 */
export function parseContainerdLine(raw: string): LogLine {
  const line = raw.replace(ANSI, "");
  const tagged = line.match(/^\[([\w-]+)\]\s*(.*)$/);
  if (tagged) {
    const text = tagged[2] as string;
    const id = text.match(/(?:^|\s)[\w.-]+\/([\w.-]+)(?=[\s:,]|$)/)?.[1];
    return { source: tagged[1] as string, id, text };
  }
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

/** containerd's start-up chatter (each plugin it loads or skips): shown only at debug level. */
export function isStartupNoise(l: LogLine): boolean {
  return (
    l.source === "containerd" &&
    /^(warning: )?(loading plugin|skip loading plugin|failed to load plugin|could not use snapshotter)/.test(
      l.text,
    )
  );
}

/** `<source>-<id>.log` → source and id (`console-web1.log` → console, web1). */
export function parseLogFileName(name: string): { source: string; id?: string } | undefined {
  const m = name.match(/^([a-z]+)(?:-(.+))?\.log$/);
  return m ? { source: m[1] as string, id: m[2] } : undefined;
}

export interface FollowedFile {
  path: string;
  source: string;
  id?: string;
}

/** `<source>-<id>.log` files in `dir` (what shims write under RUNM_DEV_LOG_DIR). */
export function logDirFiles(dir: string): FollowedFile[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    const who = parseLogFileName(name);
    return who ? [{ path: join(dir, name), ...who }] : [];
  });
}

/** Guest consoles the shim links into each bundle: <state>/<runtime plugin>/<ns>/<id>/<console>. */
export function bundleConsoleFiles(containerdState: string, consoleName: string): FollowedFile[] {
  const out: FollowedFile[] = [];
  const root = join(containerdState, "io.containerd.runtime.v2.task");
  for (const ns of safeReaddir(root))
    for (const id of safeReaddir(join(root, ns))) {
      const path = join(root, ns, id, consoleName);
      if (existsSync(path)) out.push({ path, source: "console", id });
    }
  return out;
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Follows the files `list` returns (new ones too) by polling; returns a stop function. */
export function followFiles(
  list: () => FollowedFile[],
  emit: (l: LogLine) => void,
  everyMs = 200,
): () => void {
  const offsets = new Map<string, number>();
  const partial = new Map<string, string>();
  const poll = () => {
    for (const f of list()) {
      let size: number;
      try {
        size = statSync(f.path).size;
      } catch {
        continue;
      }
      const from = offsets.get(f.path) ?? 0;
      if (size <= from) continue;
      const buf = Buffer.alloc(size - from);
      try {
        const fd = openSync(f.path, "r");
        try {
          readSync(fd, buf, 0, buf.length, from);
        } finally {
          closeSync(fd);
        }
      } catch {
        continue; // removed meanwhile
      }
      offsets.set(f.path, size);
      const text = (partial.get(f.path) ?? "") + buf.toString("utf8");
      const lines = text.split("\n");
      partial.set(f.path, lines.pop() ?? "");
      for (const line of lines) emit({ source: f.source, id: f.id, text: line.replace(/\r$/, "") });
    }
  };
  const timer = setInterval(poll, everyMs);
  return () => {
    clearInterval(timer);
    poll();
  };
}
