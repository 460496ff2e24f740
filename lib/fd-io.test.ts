import { expect, test } from "bun:test";
import { readFile } from "node:fs/promises";
import { closeFd, pipe, setNonBlocking } from "../agent/sys/libc.ts";
import { FdReader, FdWriter } from "./fd-io.ts";

test("reads and writes polled on the main thread, pull-based, without starving the fs thread pool", async () => {
  const pipes = [pipe(), pipe(), pipe(), pipe(), pipe()];
  for (const [r, w] of pipes) for (const fd of [r, w]) setNonBlocking(fd);
  const readers = pipes.map(([r]) => new FdReader(r));
  const pending = readers.map((r) => r.read());
  // Five reads blocked in read(2): other fs calls still run.
  const t = performance.now();
  await readFile("/proc/self/stat");
  expect(performance.now() - t).toBeLessThan(500);
  const [r0, w0] = pipes[0] ?? [-1, -1];
  const writer = new FdWriter(w0);
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
  console.log(`polled read latency median ${lat[10]?.toFixed(3)} ms`);
  expect(lat[10]).toBeLessThan(25);
  writer.finish();
  for (const [, w] of pipes) closeFd(w);
  for (const p of pending.slice(1)) expect((await p).length).toBe(0);
  expect((await readers[0]?.read())?.length).toBe(0);
  for (const [r] of pipes) closeFd(r);
  expect(r0).toBeGreaterThan(0);
});
