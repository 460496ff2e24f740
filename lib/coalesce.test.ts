import { expect, test } from "bun:test";
import { coalesce } from "./coalesce.ts";

async function* source(n: number, size: number, delayEvery = 0) {
  for (let i = 0; i < n; i++) {
    if (delayEvery && i % delayEvery === 0) await Bun.sleep(1);
    yield new Uint8Array(size).fill(i % 256);
  }
}

test("a slow consumer gets few large chunks with every byte in order", async () => {
  const got: Uint8Array[] = [];
  for await (const c of coalesce(source(200, 1000), 64 * 1024)) {
    got.push(c);
    await Bun.sleep(2);
  }
  const all = Buffer.concat(got);
  expect(all.length).toBe(200_000);
  for (let i = 0; i < 200; i++) expect(all[i * 1000]).toBe(i % 256);
  expect(got.length).toBeLessThan(50);
  expect(Math.max(...got.map((c) => c.length))).toBeLessThanOrEqual(64 * 1024 + 1000);
});

test("a fast consumer sees chunks as they arrive", async () => {
  let n = 0;
  for await (const c of coalesce(source(20, 10, 1))) {
    expect(c.length).toBe(10);
    n++;
  }
  expect(n).toBe(20);
});

test("errors from the source reach the consumer; stopping early ends the source", async () => {
  async function* failing() {
    yield new Uint8Array(1);
    throw new Error("boom");
  }
  await expect(
    (async () => {
      for await (const _ of coalesce(failing())) {
      }
    })(),
  ).rejects.toThrow("boom");
  let finished = false;
  async function* endless() {
    try {
      for (;;) {
        await Bun.sleep(1);
        yield new Uint8Array(1);
      }
    } finally {
      finished = true;
    }
  }
  for await (const _ of coalesce(endless())) break;
  expect(finished).toBe(true);
});
