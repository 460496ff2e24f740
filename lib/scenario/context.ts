// The context a scenario's steps get: host commands whose output streams under the step, unique
// names, temp dirs, cleanups, and local images. Every child is tracked by PID so an interrupted
// run kills exactly what it started.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FileSink } from "bun";
import { LOCAL_IMAGE_REFS } from "../constants.ts";
import { buildImage } from "../image/build.ts";
import { AssertionError } from "./assert.ts";
import type { ContainerClient, Sh } from "./client.ts";
import { shellQuote } from "./pty.ts";
import type { Scenario, ScenarioContext, ShOptions, ShResult } from "./types.ts";

export interface Cleanup {
  fn: () => Promise<void> | void;
  always: boolean;
}

export interface ContextDeps {
  scenario: Scenario;
  runtime: string;
  keep: boolean;
  /** One line of streamed output. */
  write: (line: string) => void;
  makeClient: (sh: Sh) => ContainerClient;
  signal: AbortSignal;
  /** Shared across the scenarios of one run: images already checked. */
  imagesReady: Set<string>;
}

export class StepError extends Error {
  override name = "StepError";
}

const slug = (s: string) =>
  s
    .replace(/[^a-zA-Z0-9]+/g, "-")
    .replace(/^-|-$/g, "")
    .toLowerCase();

export function createContext(d: ContextDeps): { ctx: ScenarioContext; cleanups: Cleanup[] } {
  const cleanups: Cleanup[] = [];

  const sh: Sh = async (argv: string[], o: ShOptions = {}): Promise<ShResult> => {
    if (d.signal.aborted) throw new StepError("interrupted");
    if (!o.quiet) d.write(`$ ${argv.map(shellQuote).join(" ")}`);
    const proc = Bun.spawn(argv, {
      stdin: o.holdStdin ? "pipe" : o.input === undefined ? "ignore" : new TextEncoder().encode(o.input),
      stdout: "pipe",
      stderr: "pipe",
      env: { ...process.env, ...o.env },
    });
    const sink = o.holdStdin ? (proc.stdin as FileSink) : undefined;
    if (sink && o.input !== undefined) {
      sink.write(o.input);
      sink.flush();
    }
    const kill = () => proc.kill("SIGKILL");
    d.signal.addEventListener("abort", kill);
    const timer = o.timeoutMs ? setTimeout(kill, o.timeoutMs) : undefined;
    const pump = async (stream: ReadableStream<Uint8Array>, mark: string) => {
      let all = "";
      let pending = "";
      const dec = new TextDecoder();
      for await (const chunk of stream) {
        const text = dec.decode(chunk, { stream: true });
        all += text;
        if (o.quiet) continue;
        const lines = (pending + text).split("\n");
        pending = lines.pop() ?? "";
        for (const l of lines) d.write(`${mark}${l.replace(/\r$/, "")}`);
      }
      if (pending && !o.quiet) d.write(`${mark}${pending}`);
      return all;
    };
    const [stdout, stderr, code] = await Promise.all([
      pump(proc.stdout, "  │ "),
      pump(proc.stderr, "  ! "),
      proc.exited,
    ]);
    clearTimeout(timer);
    sink?.end();
    d.signal.removeEventListener("abort", kill);
    if (d.signal.aborted) throw new StepError("interrupted");
    if (proc.signalCode === "SIGKILL" && o.timeoutMs)
      throw new StepError(`${argv[0]} timed out after ${o.timeoutMs} ms`);
    if (code !== 0 && !o.allowFail)
      throw new StepError(`${argv.slice(0, 6).join(" ")} exited with ${code}${lastLine(stderr)}`);
    return { code, stdout, stderr };
  };

  const client = d.makeClient(sh);
  const rand = Math.random().toString(36).slice(2, 6);
  const ctx: ScenarioContext = {
    scenario: d.scenario,
    client,
    runtime: d.runtime,
    keep: d.keep,
    sh,
    note: (text) => d.write(`  # ${text}`),
    name(suffix) {
      const name = `scn-${slug(d.scenario.id)}-${slug(suffix)}-${rand}`;
      cleanups.push({ fn: () => client.removeForce(name), always: false });
      return name;
    },
    async tmpDir() {
      const dir = await mkdtemp(join(tmpdir(), "runm-scn-"));
      cleanups.push({ fn: () => rm(dir, { recursive: true, force: true }), always: false });
      return dir;
    },
    defer: (fn, opts) => cleanups.push({ fn, always: opts?.always ?? false }),
    async image(kind) {
      const ref = LOCAL_IMAGE_REFS[kind];
      if (d.imagesReady.has(ref)) return ref;
      if (!(await client.hasImage(ref))) {
        ctx.note(`${ref} is not in this containerd: building and importing it`);
        const img = await buildImage(kind);
        await client.load(img.path);
      }
      if (!(await client.hasImage(ref))) throw new AssertionError(`${ref} is still missing after import`);
      d.imagesReady.add(ref);
      return ref;
    },
  };
  return { ctx, cleanups };
}

function lastLine(s: string): string {
  const l = s.trim().split("\n").pop()?.trim();
  return l ? `: ${l}` : "";
}
