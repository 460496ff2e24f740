// The stdio channel's framing and multiplexing, over a real socket pair: bytes arrive exact and in
// order however they are split, a stream that is not read holds back only itself, and leaving a
// stream stops its sender.
import { expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { PipeIo } from "../agent/stdio.ts";
import { FdDuplex } from "../agent/transport/fd-duplex.ts";
import { controlFrame, dataFrame, FrameDecoder, FrameKind, INITIAL_CREDIT } from "./stdio-frames.ts";
import { StdioMux } from "./stdio-mux.ts";
import { socketPair } from "./sys/libc.ts";

test("frames decode the same however the bytes are split", () => {
  const wire = Buffer.concat([
    dataFrame(7, new Uint8Array([1, 2, 3])),
    controlFrame(7, "CREDIT", 4096),
    dataFrame(9, new Uint8Array(70_000).fill(5)),
    controlFrame(9, "END"),
  ]);
  for (const step of [1, 5, 13, 4096, wire.length]) {
    const d = new FrameDecoder();
    const frames = [];
    for (let off = 0; off < wire.length; off += step) frames.push(...d.push(wire.subarray(off, off + step)));
    expect(frames.map((f) => [f.stream, f.kind, f.data.length, f.credit])).toEqual([
      [7, FrameKind.DATA, 3, 0],
      [7, FrameKind.CREDIT, 0, 4096],
      [9, FrameKind.DATA, 70_000, 0],
      [9, FrameKind.END, 0, 0],
    ]);
  }
  expect(() => new FrameDecoder().push(new Uint8Array([0, 0, 0, 1, 0, 0, 0, 0, 9, 0, 0, 0]))).toThrow(
    /unknown kind/,
  );
});

function pair(): [StdioMux, StdioMux, () => void] {
  const [a, b] = socketPair();
  const ma = new StdioMux(new FdDuplex(a, a));
  const mb = new StdioMux(new FdDuplex(b, b));
  const close = () => {
    ma.close();
    mb.close();
  };
  return [ma, mb, close];
}

const sha = (chunks: Uint8Array[]) => {
  const h = createHash("sha256");
  for (const c of chunks) h.update(c);
  return h.digest("hex");
};

test("many MiB arrive exact through a slow reader; an unread stream does not stall another", async () => {
  const [agent, host, close] = pair();
  try {
    const data = new Uint8Array(12 << 20).map((_, i) => (i * 131) % 251);
    const fast = host.receive(1);
    host.receive(2); // registered, never read: its sender runs out of credit
    const s1 = agent.sender(1);
    const s2 = agent.sender(2);
    const stalled = s2.send(new Uint8Array(INITIAL_CREDIT + 1)); // waits for credit forever
    const sending = (async () => {
      for (let off = 0; off < data.length; off += 1 << 20) await s1.send(data.subarray(off, off + (1 << 20)));
      await s1.end();
    })();
    const got: Uint8Array[] = [];
    let n = 0;
    for await (const c of fast) {
      got.push(c);
      n += c.length;
      if (n < 2 << 20) await Bun.sleep(5); // slow at first
    }
    await sending;
    expect(n).toBe(data.length);
    expect(sha(got)).toBe(sha([data]));
    expect(await Promise.race([stalled.then(() => "sent"), Bun.sleep(200).then(() => "waiting")])).toBe(
      "waiting",
    );
  } finally {
    close();
  }
});

test("leaving a stream resets it: the sender stops", async () => {
  const [agent, host, close] = pair();
  try {
    const rx = host.receive(3);
    const tx = agent.sender(3);
    const sent = (async () => {
      let ok = true;
      for (let i = 0; i < 100 && ok; i++) ok = await tx.send(new Uint8Array(1 << 20));
      return ok;
    })();
    for await (const _ of rx) break; // one chunk, then leave
    expect(await sent).toBe(false);
  } finally {
    close();
  }
});

test("output spliced from a process's pipe arrives exact, in order with frames sent alongside, through a slow reader", async () => {
  const [agent, host, close] = pair();
  try {
    expect(agent.splices).toBe(true);
    // The agent's own stdio (agent/stdio.ts): a child writes 6 MiB into its stdout pipe, in
    // writes of every size, while another stream sends small frames through the same channel.
    const io = new PipeIo(false);
    const [, out, err] = io.childStdio();
    const child = Bun.spawn(["sh", "-c", "head -c 6291456 /dev/zero | tr '\\0' 'x'; printf tail"], {
      stdio: ["ignore", out as number, err as number],
    });
    io.afterSpawn();
    const rx = host.receive(1);
    const side = host.receive(2);
    const tx = agent.sender(1);
    const pumping = io.spliceOutput("stdout", tx.sendPipe).finally(() => tx.end());
    const small = agent.sender(2);
    const sideSending = (async () => {
      for (let i = 0; i < 200; i++) await small.send(new TextEncoder().encode(`${i},`));
      await small.end();
    })();
    const got: Uint8Array[] = [];
    let n = 0;
    for await (const c of rx) {
      got.push(c);
      n += c.length;
      if (n < 1 << 20) await Bun.sleep(5);
    }
    let sideText = "";
    for await (const c of side) sideText += new TextDecoder().decode(c);
    await Promise.all([pumping, sideSending, child.exited]);
    expect(n).toBe(6291456 + 4);
    expect(sha(got)).toBe(sha([new Uint8Array(6291456).fill(120), new TextEncoder().encode("tail")]));
    expect(sideText).toBe(Array.from({ length: 200 }, (_, i) => `${i},`).join(""));
    io.close();
  } finally {
    close();
  }
});
