// The stdio channel's framing and multiplexing, over a real socket pair: bytes arrive exact and in
// order however they are split, a stream that is not read holds back only itself, and leaving a
// stream stops its sender.
import { expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { closeSync, ftruncateSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PipeIo } from "../agent/stdio.ts";
import { FdDuplex } from "../agent/transport/fd-duplex.ts";
import { controlFrame, dataFrame, FrameDecoder, FrameKind, INITIAL_CREDIT } from "./stdio-frames.ts";
import { StdioMux } from "./stdio-mux.ts";
import { ringHalves } from "./stdio-ring.ts";
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
    // A DATA payload comes in pieces as its bytes arrive, views of their chunks: joined here (no two
    // DATA frames of one stream follow each other on this wire).
    const frames: { stream: number; kind: number; data: number[]; length: number }[] = [];
    for (let off = 0; off < wire.length; off += step)
      for (const f of d.push(wire.subarray(off, off + step))) {
        expect(f.data.length).toBe(f.kind === FrameKind.DATA ? f.length : 0);
        const last = frames.at(-1);
        if (f.kind === FrameKind.DATA && last?.kind === FrameKind.DATA && last.stream === f.stream) {
          last.data.push(...f.data);
          last.length += f.length;
        } else frames.push({ ...f, data: [...f.data] });
      }
    expect(frames.map((f) => [f.stream, f.kind, f.data.length, f.length])).toEqual([
      [7, FrameKind.DATA, 3, 3],
      [7, FrameKind.CREDIT, 0, 4096],
      [9, FrameKind.DATA, 70_000, 70_000],
      [9, FrameKind.END, 0, 0],
    ]);
  }
  expect(() => new FrameDecoder().push(new Uint8Array([0, 0, 0, 1, 0, 0, 0, 0, 9, 0, 0, 0]))).toThrow(
    /unknown kind/,
  );
});

function pair(ring?: ReturnType<typeof ringFile>): [StdioMux, StdioMux, () => void] {
  const [a, b] = socketPair();
  const ma = new StdioMux(
    new FdDuplex(a, a),
    ring && { ringOut: () => ring.guest.guestToHost, ringIn: () => ring.guest.hostToGuest },
  );
  const mb = new StdioMux(
    new FdDuplex(b, b),
    ring && { ringIn: () => ring.host.guestToHost, ringOut: () => ring.host.hostToGuest },
  );
  const close = () => {
    ma.close();
    mb.close();
  };
  return [ma, mb, close];
}

/** `fn` with a ring file of `size` bytes, removed after. */
async function withRing<T>(size: number, fn: (f: ReturnType<typeof ringFile>) => Promise<T>): Promise<T> {
  const f = ringFile(size);
  try {
    return await fn(f);
  } finally {
    f.close();
  }
}

/** A ring file as the guest and the host each hold it (lib/stdio-ring.ts: a half each way). */
function ringFile(size: number) {
  const dir = mkdtempSync(join(tmpdir(), "ring-"));
  const path = join(dir, "ring");
  const guestFd = openSync(path, "w+");
  ftruncateSync(guestFd, size);
  const hostFd = openSync(path, "r+");
  return {
    guestFd,
    guest: ringHalves(guestFd, size),
    host: ringHalves(hostFd, size),
    close: () => {
      closeSync(guestFd);
      closeSync(hostFd);
      rmSync(dir, { recursive: true });
    },
  };
}

/** A child writing `bytes` of 'x' then "tail" into the agent's stdout pipe, spliced on `stream`. */
function splicedChild(agent: StdioMux, stream: number, bytes: number) {
  const io = new PipeIo(false);
  const [, out, err] = io.childStdio();
  const child = Bun.spawn(["sh", "-c", `head -c ${bytes} /dev/zero | tr '\\0' 'x'; printf tail`], {
    stdio: ["ignore", out as number, err as number],
  });
  io.afterSpawn();
  const tx = agent.sender(stream);
  const pumping = io.spliceOutput("stdout", tx.sendPipe).finally(() => tx.end());
  return { io, done: Promise.all([pumping, child.exited]) };
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

/**
 * The agent's side of stdin (agent/stdio.ts): what the host sends is written into a child's stdin
 * pipe as it arrives, read from the channel (or the ring) without a copy; the child reads nothing
 * for its first 0.3 s, so the 1 MiB pipe fills, the rest waits in the sink and comes through as it
 * drains. A child that stops reading resets the stream. Returns the bytes that came through the
 * ring.
 */
async function stdinArrivesExact(ring?: ReturnType<typeof ringFile>): Promise<number> {
  const [agent, host, close] = pair(ring);
  try {
    const data = new Uint8Array(9 << 20).map((_, i) => (i * 7919) % 253);
    const io = new PipeIo(true);
    const child = Bun.spawn(["sh", "-c", "sleep 0.3; sha256sum"], {
      stdio: [io.childStdio()[0] as number, "pipe", "inherit"],
    });
    io.afterSpawn();
    const written = agent.receiveInto(5, io.stdinSink());
    const tx = host.sender(5);
    for (let off = 0; off < data.length; off += 700_001)
      expect(await tx.send(data.subarray(off, off + 700_001))).toBe(true);
    await tx.end();
    await written;
    await io.closeStdin();
    expect((await new Response(child.stdout).text()).split(" ")[0]).toBe(sha([data]));
    io.close();

    // A reader that leaves after 1000 bytes: the write fails (EPIPE), the sender is reset.
    const quits = new PipeIo(true);
    const head = Bun.spawn(["head", "-c", "1000"], {
      stdio: [quits.childStdio()[0] as number, "ignore", "inherit"],
    });
    quits.afterSpawn();
    const failed = agent.receiveInto(6, quits.stdinSink()).catch((e: Error) => e.message);
    const tx6 = host.sender(6);
    let ok = true;
    for (let i = 0; i < 64 && ok; i++) ok = await tx6.send(new Uint8Array(1 << 20));
    expect(ok).toBe(false);
    expect(await failed).toMatch(/no longer reads its stdin/);
    await head.exited;
    quits.close();
    return agent.ringBytes.in;
  } finally {
    close();
  }
}

/**
 * Two tests of `body`: over the channel alone (nothing may go through a ring), then with an
 * odd-sized ring file, whose halves (35,000 bytes) each way a frame can end at every kind of offset
 * and wrap hundreds of times (more than `viaRing` bytes must go through it).
 */
function overChannelAndRing(
  what: string,
  body: (ring?: ReturnType<typeof ringFile>) => Promise<number>,
  viaRing: number,
) {
  test(`${what}: over the channel alone`, async () => {
    expect(await body()).toBe(0);
  });
  test(`${what}: through the bulk ring, wrapping its half many times`, async () => {
    expect(await withRing(70_001, body)).toBeGreaterThan(viaRing);
  });
}

overChannelAndRing(
  "stdin reaches a process's pipe exact while it reads late; a process that stops reading resets the stream",
  stdinArrivesExact,
  8 << 20,
);

/**
 * The agent's own stdio (agent/stdio.ts): a child writes 6 MiB into its stdout pipe, in writes of
 * every size, spliced out while another stream sends small frames through the same channel and
 * the host reads slowly at first. Returns how many bytes came through the ring.
 */
async function splicedOutputArrivesExact(ring?: ReturnType<typeof ringFile>): Promise<number> {
  const [agent, host, close] = pair(ring);
  try {
    expect(agent.splices).toBe(true);
    const rx = host.receive(1);
    const side = host.receive(2);
    const { io, done } = splicedChild(agent, 1, 6291456);
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
    await Promise.all([done, sideSending]);
    expect(n).toBe(6291456 + 4);
    expect(sha(got)).toBe(sha([new Uint8Array(6291456).fill(120), new TextEncoder().encode("tail")]));
    expect(sideText).toBe(Array.from({ length: 200 }, (_, i) => `${i},`).join(""));
    io.close();
    return host.ringBytes.in;
  } finally {
    close();
  }
}

// Most of the output goes through the ring: chunks under RING_MIN_BYTES ride the channel.
overChannelAndRing(
  "output spliced from a process's pipe arrives exact, in order with frames sent alongside, through a slow reader",
  splicedOutputArrivesExact,
  4 << 20,
);

test("a RING frame the ring cannot back ends the channel with a clear error, not wrong bytes", async () => {
  // A guest is not trusted: frames forged on a raw channel, against a ring emptied under the host.
  for (const [length, want] of [
    [1000, /stdio ring held 0 of 1000 bytes/],
    [70_000, /RING frame of 70000 bytes at 0 does not fit the 65536-byte ring/],
  ] as const) {
    const f = ringFile(131_072);
    ftruncateSync(f.guestFd, 0);
    const [guest, hostEnd] = socketPair();
    const host = new StdioMux(new FdDuplex(hostEnd, hostEnd), { ringIn: () => f.host.guestToHost });
    try {
      const rx = host.receive(1);
      writeSync(guest, controlFrame(1, "RING", length));
      let err: unknown;
      try {
        for await (const _ of rx) throw new Error("bytes arrived");
      } catch (e) {
        err = e;
      }
      expect(String(err)).toMatch(want);
    } finally {
      host.close();
      closeSync(guest);
      f.close();
    }
  }
});
