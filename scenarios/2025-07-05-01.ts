// The original runm's quickstart ("detached mode"): a detached container, a tty exec whose guest
// side follows the host terminal's resizes, a tty exec greeting, then a force-remove.
import {
  assert,
  assertEqual,
  assertIncludes,
  defineScenario,
  inPty,
  type ScenarioContext,
  TmuxTerminal,
  waitFor,
} from "../lib/scenario/index.ts";

/** rows × cols the host terminal takes, in order. */
export const RESIZE_SCHEDULE = [
  { rows: 22, cols: 55 },
  { rows: 81, cols: 230 },
  { rows: 100, cols: 300 },
  { rows: 120, cols: 400 },
  { rows: 82, cols: 290 },
];

/** The distinct sizes a guest printed (`stty size` lines), in order, consecutive repeats merged. */
export function sizesSeen(output: string): string[] {
  const out: string[] = [];
  for (const m of output.matchAll(/^size (\d+) (\d+)$/gm)) {
    const s = `${m[1]}x${m[2]}`;
    if (out.at(-1) !== s) out.push(s);
  }
  return out;
}

let name = "";

async function running(ctx: ScenarioContext) {
  const t = (await ctx.client.tasks()).find((x) => x.name === name);
  return t?.status === "RUNNING" ? t : undefined;
}

export default defineScenario({
  id: "2025-07-05:01",
  description: "detached mode: run detached, list, tty exec following host resizes, tty exec, force-remove",
  steps: [
    {
      name: "remove running containers",
      async run(ctx) {
        for (const c of await ctx.client.containers()) await ctx.client.removeForce(c);
        assertEqual(await ctx.client.containers(), [], "containers after removing them all");
      },
    },
    {
      name: "run a container detached",
      async run(ctx) {
        name = ctx.name("detached");
        await ctx.client.run({
          image: await ctx.image("busybox"),
          name,
          detach: true,
          cmd: ["sh", "-c", 'echo "Container PID 1: $$"; ps aux; sleep 300'],
        });
        const log = await waitFor(
          async () => {
            const l = await ctx.client.logs(name);
            return l.includes("sleep 300") ? l : undefined;
          },
          60_000,
          "the container's first output",
        );
        for (const line of log.trim().split("\n")) ctx.note(`container: ${line}`);
        assertIncludes(log, "Container PID 1: 1", "the container's shell is its PID 1");
      },
    },
    {
      name: "list containers: it is running",
      async run(ctx) {
        await waitFor(() => running(ctx), 30_000, `${name} to be RUNNING`);
        assert((await ctx.client.containers()).includes(name), `${name} is listed`);
      },
    },
    {
      name: "tty exec follows the host terminal's resizes",
      async run(ctx) {
        const term = new TmuxTerminal(await ctx.tmpDir(), ctx.sh);
        ctx.defer(() => term.stop(), { always: true });
        const loop = 'for i in $(seq 1 40); do echo "size $(stty size)"; sleep 1; done';
        const argv = ctx.client.execArgv(name, { cmd: ["sh", "-c", loop], tty: true, execId: "resize" });
        const [first, ...rest] = RESIZE_SCHEDULE;
        if (!first) return;
        await term.start(argv, first);
        const want = (s: { rows: number; cols: number }) => `${s.rows}x${s.cols}`;
        const seen = async (s: { rows: number; cols: number }, ms: number) =>
          waitFor(() => sizesSeen(term.output()).at(-1) === want(s), ms, `the guest to report ${want(s)}`);
        await seen(first, 60_000);
        ctx.note(`guest reports ${want(first)}`);
        for (const s of rest) {
          await term.resize(s);
          const t0 = Date.now();
          await seen(s, 5_000);
          ctx.note(`host resized to ${want(s)}; guest followed in ${Date.now() - t0} ms`);
        }
        assertEqual(sizesSeen(term.output()), RESIZE_SCHEDULE.map(want), "sizes the guest printed, in order");
      },
    },
    {
      name: "tty exec prints a greeting",
      async run(ctx) {
        const argv = ctx.client.execArgv(name, {
          cmd: ["echo", "hello world! this is a test"],
          tty: true,
          execId: "hello",
        });
        const r = await ctx.sh(inPty(argv), { timeoutMs: 60_000, holdStdin: true });
        assertIncludes(r.stdout.replaceAll("\r", ""), "hello world! this is a test\n", "tty exec output");
      },
    },
    {
      name: "force-remove it",
      async run(ctx) {
        await ctx.client.removeForce(name);
      },
    },
    {
      name: "list containers again: empty",
      async run(ctx) {
        assertEqual(await ctx.client.containers(), [], "containers");
        assertEqual(await ctx.client.tasks(), [], "tasks");
      },
    },
  ],
});
