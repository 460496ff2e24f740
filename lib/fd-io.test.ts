// Signal-driven fd I/O (lib/fd-io.ts over lib/sys/readiness.ts) against real kernel objects:
// pipes written by another process, socket pairs, and an idle reader that must cost nothing.
import { expect, test } from "bun:test";
import { readFile } from "node:fs/promises";
import { FdReader, FdWriter } from "./fd-io.ts";
import { closeFd, pipe, socketPair } from "./sys/libc.ts";
import { readinessSignals } from "./sys/readiness.ts";

test("a pipe written by another process is read as data arrives, then to its end of file", async () => {
  const [r, w] = pipe();
  const child = Bun.spawn(["sh", "-c", "printf one; sleep 0.3; printf two; sleep 0.3"], {
    stdout: w,
    stdin: "ignore",
  });
  closeFd(w);
  const reader = new FdReader(r);
  let text = "";
  const t0 = performance.now();
  for (;;) {
    const chunk = await reader.read();
    if (chunk.length === 0) break;
    text += new TextDecoder().decode(chunk);
  }
  expect(text).toBe("onetwo");
  expect(await child.exited).toBe(0);
  // Woken by the kernel, not a timer: the end of file follows the child's exit at once.
  expect(performance.now() - t0).toBeLessThan(3000);
  closeFd(r);
});

test("reads wait without spinning and without starving the fs thread pool", async () => {
  const pairs = [socketPair(), socketPair(), socketPair(), socketPair(), socketPair()];
  const readers = pairs.map(([a]) => new FdReader(a));
  const pending = readers.map((r) => r.read());
  const before = readinessSignals();
  const cpu0 = process.cpuUsage();
  await Bun.sleep(500);
  const cpu = process.cpuUsage(cpu0);
  // Five idle readers: no signal, and (almost) no CPU while they wait.
  expect(readinessSignals()).toBe(before);
  expect((cpu.user + cpu.system) / 1000).toBeLessThan(100);
  const t = performance.now();
  await readFile("/proc/self/stat");
  expect(performance.now() - t).toBeLessThan(500);

  const [, b0] = pairs[0] ?? [-1, -1];
  const writer = new FdWriter(b0);
  expect(await writer.write(new TextEncoder().encode("hello"))).toBe(5);
  expect(new TextDecoder().decode(await pending[0])).toBe("hello");
  // Latency of one chunk through a waiting reader.
  const lat: number[] = [];
  for (let i = 0; i < 20; i++) {
    const next = readers[0]?.read();
    const t0 = performance.now();
    await writer.write(new Uint8Array([i]));
    await next;
    lat.push(performance.now() - t0);
  }
  lat.sort((a, b) => a - b);
  console.log(`signal-driven read latency median ${lat[10]?.toFixed(3)} ms`);
  expect(lat[10]).toBeLessThan(25);
  // finish() ends a pending read at once.
  for (const r of readers.slice(1)) r.finish();
  for (const p of pending.slice(1)) expect((await p).length).toBe(0);
  writer.finish();
  for (const [a, b] of pairs) {
    closeFd(a);
    closeFd(b);
  }
});

test("a writer blocked on a full socket resumes when the reader drains it; bytes arrive in order", async () => {
  const [a, b] = socketPair();
  const writer = new FdWriter(a);
  const reader = new FdReader(b);
  const data = new Uint8Array(8 << 20).map((_, i) => i * 7);
  const sent = writer.write(data);
  const got: Uint8Array[] = [];
  let n = 0;
  while (n < data.length) {
    const c = await reader.read();
    got.push(c);
    n += c.length;
  }
  expect(await sent).toBe(data.length);
  expect(Buffer.concat(got).equals(Buffer.from(data))).toBe(true);
  closeFd(a);
  closeFd(b);
});

test("a pipe signals only while a call on it waits: no SIGIO per operation of a busy peer", async () => {
  // Left on, O_ASYNC made every write of a container's output (and every read of its stdin) a
  // signal to the agent: one per 4 KiB that busybox moves. Here 2000 one-byte writes, and then
  // 2000 one-byte reads of what FdWriter put in, each while nothing here waits.
  const [r, w] = pipe();
  const reader = new FdReader(r);
  await Bun.sleep(200); // earlier tests' signals are handled first (Bun queues them to the loop)
  const before = readinessSignals();
  const writes = Bun.spawn(["sh", "-c", "i=0; while [ $i -lt 2000 ]; do printf x; i=$((i + 1)); done"], {
    stdout: w,
    stdin: "ignore",
  });
  expect(await writes.exited).toBe(0);
  expect(readinessSignals() - before).toBeLessThan(5);
  expect((await reader.read()).length).toBe(2000);

  const [r2, w2] = pipe();
  const writer = new FdWriter(w2);
  expect(await writer.write(new Uint8Array(2000))).toBe(2000);
  const mid = readinessSignals();
  const reads = Bun.spawn(["dd", "bs=1", "count=2000", "of=/dev/null", "status=none"], {
    stdin: r2,
    stdout: "ignore",
  });
  expect(await reads.exited).toBe(0);
  expect(readinessSignals() - mid).toBeLessThan(5);
  // And a read that waits is still woken by the next write.
  const next = reader.read();
  const one = Bun.spawn(["sh", "-c", "sleep 0.2; printf y"], { stdout: w, stdin: "ignore" });
  expect(new TextDecoder().decode(await next)).toBe("y");
  expect(await one.exited).toBe(0);
  writer.finish();
  for (const fd of [r, w, r2, w2]) closeFd(fd);
});
