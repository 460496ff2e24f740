// ShimProcess against a fake agent (the boundary): exit order and the end of output.
import { expect, test } from "bun:test";
import type { AgentClient } from "../lib/agent-client/index.ts";
import { ShimProcess } from "./process.ts";
import type { HostIo, OutputSink } from "./stdio.ts";

/** Host io that records writes and whether the output was closed. */
function recordingIo() {
  const got: string[] = [];
  let closed = false;
  const sink: OutputSink = {
    write: async (c) => {
      got.push(new TextDecoder().decode(c));
    },
    close: async () => {},
  };
  const io: HostIo = {
    stdout: sink,
    closeStdin: () => {},
    closeOutput: async () => {
      closed = true;
    },
    close: async () => {
      closed = true;
    },
  };
  return { io, got, closed: () => closed };
}

/** An agent whose stdout yields one chunk and then, if `hang`, never ends. */
function fakeAgent(hang: boolean): AgentClient {
  return {
    async *output() {
      yield new TextEncoder().encode("hello\n");
      if (hang) await new Promise(() => {});
    },
  } as unknown as AgentClient;
}

const stdio = { stdin: "", stdout: "/fifo", stderr: "", terminal: false };

/** A started process (the init when `execId` is empty) pumping from fakeAgent(hang) into `io`. */
function started(execId: string, io: HostIo, hang: boolean): ShimProcess {
  const p = new ShimProcess({ containerId: "c", execId }, stdio, io);
  p.startPumps(fakeAgent(hang));
  p.markStarted(7);
  return p;
}

test("the init's output ends with its stream; the exit is published after the output", async () => {
  const r = recordingIo();
  const p = started("", r.io, false);
  const order: string[] = [];
  const x = await p.handleExit({ exitStatus: 3, exitedAt: new Date() }, () =>
    order.push(`exit, output ${r.got}`),
  );
  expect(x.exitStatus).toBe(3);
  expect(order).toEqual(["exit, output hello\n"]);
  expect(r.closed()).toBe(true);
});

test("an init whose output stream never ends gets it ended once idle after the exit", async () => {
  const r = recordingIo();
  const p = started("", r.io, true);
  await p.handleExit({ exitStatus: 0, exitedAt: new Date() }, () => {});
  expect(r.closed()).toBe(false);
  for (let i = 0; i < 100 && !r.closed(); i++) await Bun.sleep(100);
  expect(r.closed()).toBe(true);
  expect(r.got).toEqual(["hello\n"]);
}, 20_000);

test("an exec's open output is left open (a background child may still write, as with runc)", async () => {
  const r = recordingIo();
  const p = started("e1", r.io, true);
  await p.handleExit({ exitStatus: 0, exitedAt: new Date() }, () => {});
  await Bun.sleep(6000);
  expect(r.closed()).toBe(false);
}, 20_000);

test("an init's output still being written to a slow reader is not cut off after the exit", async () => {
  const order: string[] = [];
  const io: HostIo = {
    stdout: {
      write: async (c) => {
        await Bun.sleep(6500); // ctr piped into a slow consumer: longer than the idle limit
        order.push(new TextDecoder().decode(c));
      },
      close: async () => {},
    },
    closeStdin: () => {},
    closeOutput: async () => {
      order.push("closed");
    },
    close: async () => {},
  };
  const p = started("", io, true); // the stream stays open: only the idle rule may end it
  await p.handleExit({ exitStatus: 0, exitedAt: new Date() }, () => {});
  for (let i = 0; i < 150 && !order.includes("closed"); i++) await Bun.sleep(100);
  expect(order).toEqual(["hello\n", "closed"]); // written in full, then ended once idle
}, 30_000);
