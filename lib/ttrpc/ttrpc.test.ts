// Client <-> server round trips over a real unix socket.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isRunmError, notFound } from "../errors.ts";
import { TtrpcClient } from "./client.ts";
import { encodeFrame, MessageType } from "./frame.ts";
import { decodeResponse } from "./messages.ts";
import { TtrpcServer } from "./server.ts";
import { Code, TtrpcError } from "./status.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array | null) => (b === null ? null : new TextDecoder().decode(b));

let dir: string;
let sock: string;
let server: TtrpcServer;
let client: TtrpcClient;
const seen: { metadata?: Record<string, string[]>; deadline?: number; aborted?: boolean } = {};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "runm-ttrpc-"));
  sock = join(dir, "s.sock");
  server = new TtrpcServer().register("test.v1.Echo", {
    Echo: (p, ctx) => {
      seen.metadata = ctx.metadata;
      seen.deadline = ctx.deadline;
      return enc(`echo:${dec(p)}`);
    },
    Fail: () => {
      throw notFound("no such thing", { hint: "create it first" });
    },
    Raw: () => {
      throw new TtrpcError("PermissionDenied", "go away");
    },
    Slow: async (_p, ctx) => {
      await new Promise((r) => setTimeout(r, 500));
      seen.aborted = ctx.signal.aborted;
      return enc("late");
    },
    Count: {
      clientStreaming: false,
      serverStreaming: true,
      async handler(stream) {
        const n = Number(dec(await stream.recv()));
        for (let i = 0; i < n; i++) await stream.send(enc(String(i)));
        return undefined;
      },
    },
    Sum: {
      clientStreaming: true,
      serverStreaming: false,
      async handler(stream) {
        let total = 0;
        for (let m = await stream.recv(); m !== null; m = await stream.recv()) total += Number(dec(m));
        return enc(String(total));
      },
    },
    Chat: {
      clientStreaming: true,
      serverStreaming: true,
      async handler(stream) {
        for (let m = await stream.recv(); m !== null; m = await stream.recv())
          await stream.send(enc(`re:${dec(m)}`));
        return undefined;
      },
    },
  });
  await server.listen(sock);
  client = await TtrpcClient.connect(`unix://${sock}`);
});

afterAll(async () => {
  client.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("ttrpc client and server", () => {
  test("unary call with metadata and a deadline", async () => {
    const r = await client.call("test.v1.Echo", "Echo", enc("hi"), {
      metadata: { "containerd-namespace-ttrpc": ["ns1"] },
      timeoutMs: 2000,
    });
    expect(dec(r)).toBe("echo:hi");
    expect(seen.metadata).toEqual({ "containerd-namespace-ttrpc": ["ns1"] });
    expect(seen.deadline).toBeGreaterThan(Date.now());
  });

  test("many concurrent calls on one connection", async () => {
    const rs = await Promise.all(
      Array.from({ length: 200 }, (_, i) => client.call("test.v1.Echo", "Echo", enc(`${i}`))),
    );
    expect(rs.map(dec)).toEqual(Array.from({ length: 200 }, (_, i) => `echo:${i}`));
  });

  test("a RunmError becomes a status and back into a RunmError of the same kind", async () => {
    const err = await client.call("test.v1.Echo", "Fail", enc("")).catch((e) => e);
    expect(isRunmError(err, "NotFound")).toBe(true);
    expect(err.message).toContain("NotFound: no such thing; create it first");
    expect(err.stack).toContain("ttrpc.test.ts");
    const raw = await client.call("test.v1.Echo", "Raw", enc("")).catch((e) => e);
    expect((raw.cause as TtrpcError).code).toBe(Code.PermissionDenied);
  });

  test("unknown service and method answer Unimplemented", async () => {
    const a = await client.call("nope.Svc", "X", enc("")).catch((e) => e);
    expect(isRunmError(a, "NotImplemented")).toBe(true);
    expect(a.message).toContain("service nope.Svc");
    const b = await client.call("test.v1.Echo", "Nope", enc("")).catch((e) => e);
    expect(b.message).toContain("method Nope");
  });

  test("deadline: the server answers DeadlineExceeded and aborts the handler's signal", async () => {
    const t0 = Date.now();
    const err = await client.call("test.v1.Echo", "Slow", enc(""), { timeoutMs: 100 }).catch((e) => e);
    expect(isRunmError(err, "DeadlineExceeded")).toBe(true);
    expect(Date.now() - t0).toBeLessThan(400);
    await new Promise((r) => setTimeout(r, 500));
    expect(seen.aborted).toBe(true);
  });

  test("server streaming", async () => {
    const s = client.stream(
      "test.v1.Echo",
      "Count",
      { clientStreaming: false, serverStreaming: true },
      enc("5"),
    );
    const got: (string | null)[] = [];
    for (let m = await s.recv(); m !== null; m = await s.recv()) got.push(dec(m));
    expect(got).toEqual(["0", "1", "2", "3", "4"]);
  });

  test("server streaming of many messages applies backpressure without loss", async () => {
    const s = client.stream(
      "test.v1.Echo",
      "Count",
      { clientStreaming: false, serverStreaming: true },
      enc("2000"),
    );
    let n = 0;
    for (let m = await s.recv(); m !== null; m = await s.recv()) {
      expect(dec(m)).toBe(String(n));
      n += 1;
      if (n % 500 === 0) await new Promise((r) => setTimeout(r, 20));
    }
    expect(n).toBe(2000);
  });

  test("client streaming", async () => {
    const s = client.stream("test.v1.Echo", "Sum", { clientStreaming: true, serverStreaming: false });
    for (const v of [1, 2, 3, 4]) await s.send(enc(String(v)));
    await s.closeSend();
    expect(dec(await s.recv())).toBe("10");
  });

  test("bidirectional streaming", async () => {
    const s = client.stream("test.v1.Echo", "Chat", { clientStreaming: true, serverStreaming: true });
    await s.send(enc("a"));
    expect(dec(await s.recv())).toBe("re:a");
    await s.send(enc("b"));
    expect(dec(await s.recv())).toBe("re:b");
    await s.closeSend();
    expect(await s.recv()).toBeNull();
  });

  test("even stream ids and oversize frames get a status, and the connection survives", async () => {
    const raw = connect(sock);
    const replies: { id: number; code: number }[] = [];
    let buf = new Uint8Array(0);
    raw.on("data", (c: Uint8Array) => {
      buf = new Uint8Array([...buf, ...c]);
      while (buf.length >= 10) {
        const v = new DataView(buf.buffer, buf.byteOffset);
        const len = v.getUint32(0);
        if (buf.length < 10 + len) break;
        replies.push({
          id: v.getUint32(4),
          code: decodeResponse(buf.subarray(10, 10 + len)).status?.code ?? 0,
        });
        buf = buf.subarray(10 + len);
      }
    });
    await new Promise((r) => raw.once("connect", r));
    raw.write(encodeFrame(2, MessageType.Request, 0, new Uint8Array(0)));
    const head = new Uint8Array(10);
    new DataView(head.buffer).setUint32(0, (4 << 20) + 1);
    new DataView(head.buffer).setUint32(4, 3);
    head[8] = MessageType.Request;
    raw.write(head);
    raw.write(new Uint8Array((4 << 20) + 1));
    for (let i = 0; i < 100 && replies.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    raw.destroy();
    expect(replies).toEqual([
      { id: 2, code: Code.InvalidArgument },
      { id: 3, code: Code.ResourceExhausted },
    ]);
  });

  test("calls fail with Unavailable once the server is gone", async () => {
    const other = new TtrpcServer().register("x.S", { Hang: () => new Promise<Uint8Array>(() => {}) });
    const p = join(dir, "other.sock");
    await other.listen(p);
    const c = await TtrpcClient.connect(p);
    const pending = c.call("x.S", "Hang", enc("")).catch((e) => e);
    await new Promise((r) => setTimeout(r, 50));
    await other.close();
    const err = await pending;
    expect(isRunmError(err, "Unavailable")).toBe(true);
    c.close();
    const refused = await TtrpcClient.connect(p).catch((e) => e);
    expect(isRunmError(refused, "Unavailable")).toBe(true);
  });
});
