// Batches a byte stream for the stdio channel: a read-ahead pump keeps pulling from the source
// while the consumer is busy (up to `maxBytes`), and each pull returns everything gathered so far
// as one chunk. A fast consumer sees chunks as they come (no added latency); a backpressured one
// gets few large frames instead of many small ones, and under TCG the agent pays per frame about
// what it pays per MiB of bytes (docs/WIRE.md "Bulk ring"). Used for a terminal's output in the
// agent (busybox writes small) and for stdin on the host.
export async function* coalesce(
  source: AsyncIterable<Uint8Array>,
  maxBytes = 1024 * 1024,
): AsyncGenerator<Uint8Array> {
  const it = source[Symbol.asyncIterator]();
  const buffered: Uint8Array[] = [];
  let size = 0;
  let done = false;
  let failure: unknown;
  let wakeConsumer: (() => void) | undefined;
  let wakePump: (() => void) | undefined;
  let stopped = false;

  const pump = (async () => {
    try {
      while (!stopped) {
        if (size >= maxBytes) {
          await new Promise<void>((r) => {
            wakePump = r;
          });
          continue;
        }
        const r = await it.next();
        if (r.done) break;
        buffered.push(r.value);
        size += r.value.length;
        wakeConsumer?.();
      }
    } catch (e) {
      failure = e;
    } finally {
      done = true;
      wakeConsumer?.();
    }
  })();

  try {
    for (;;) {
      if (size > 0) {
        const out = buffered.length === 1 ? (buffered[0] as Uint8Array) : Buffer.concat(buffered, size);
        buffered.length = 0;
        size = 0;
        wakePump?.();
        wakePump = undefined;
        yield out;
        continue;
      }
      if (failure) throw failure;
      if (done) return;
      await new Promise<void>((r) => {
        wakeConsumer = r;
      });
      wakeConsumer = undefined;
    }
  } finally {
    stopped = true;
    wakePump?.();
    if (!done) await it.return?.(undefined);
    await pump.catch(() => {});
  }
}
