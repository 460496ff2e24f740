// Polling with a deadline, for steps that wait on something asynchronous (a task to be RUNNING,
// a guest line to appear). Under TCG a VM boot is seconds, so callers pass generous limits.
import { AssertionError } from "./assert.ts";

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
