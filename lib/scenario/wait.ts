// Polling with a deadline, for steps that wait on something asynchronous (a task to be RUNNING,
// a guest line to appear). Under TCG a VM boot is seconds, so callers pass generous limits.
import { AssertionError } from "./assert.ts";
import type { ScenarioContext } from "./types.ts";

export async function waitFor<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs: number,
  what: string,
  everyMs = 200,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new AssertionError(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await Bun.sleep(everyMs);
  }
}

/** Run a detached busybox `sleep 300` named ctx.name(label) and wait until it is RUNNING. */
export async function startSleeper(ctx: ScenarioContext, label: string): Promise<string> {
  const name = ctx.name(label);
  await ctx.client.run({ image: await ctx.image("busybox"), name, detach: true, cmd: ["sleep", "300"] });
  await waitFor(
    async () => (await ctx.client.tasks()).some((t) => t.name === name && t.status === "RUNNING"),
    60_000,
    `${name} RUNNING`,
  );
  return name;
}
