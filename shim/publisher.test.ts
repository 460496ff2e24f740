// The publisher against a ttrpc Events server (standing in for containerd's): order, namespace
// metadata, envelope contents, and retry after the server comes back.
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { codec, unpackAny } from "../lib/containerd/protos.ts";
import { TtrpcServer } from "../lib/ttrpc/index.ts";
import { createPublisher } from "./publisher.ts";

const FORWARD = codec("containerd.services.events.ttrpc.v1.ForwardRequest");
const dir = mkdtempSync(join(tmpdir(), "runm-pub-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function eventsServer(
  seen: { topic: string; ns: string[]; event: Record<string, unknown> }[],
  delayFirstMs = 0,
) {
  let first = true;
  return new TtrpcServer().register("containerd.services.events.ttrpc.v1.Events", {
    Forward: async (payload, ctx) => {
      if (first && delayFirstMs) await Bun.sleep(delayFirstMs);
      first = false;
      const { envelope } = FORWARD.decode(payload);
      seen.push({
        topic: envelope.topic,
        ns: ctx.metadata["containerd-namespace-ttrpc"] ?? [],
        event: unpackAny(envelope.event),
      });
      return new Uint8Array();
    },
  });
}

test("events arrive in the order raised, with the namespace, even when one is slow", async () => {
  const seen: { topic: string; ns: string[]; event: Record<string, unknown> }[] = [];
  const server = eventsServer(seen, 200);
  const sock = join(dir, "a.sock");
  await server.listen(sock);
  const p = createPublisher(sock, "ns1");
  p.publish("containerd.events.TaskCreate", { containerId: "c", pid: 7 });
  p.publish("containerd.events.TaskStart", { containerId: "c", pid: 7 });
  p.publish("containerd.events.TaskExit", { containerId: "c", id: "c", pid: 7, exitStatus: 42 });
  p.publish("containerd.events.TaskDelete", { containerId: "c", pid: 7, exitStatus: 42 });
  await p.flush();
  expect(seen.map((s) => s.topic)).toEqual(["/tasks/create", "/tasks/start", "/tasks/exit", "/tasks/delete"]);
  expect(seen.every((s) => s.ns[0] === "ns1")).toBe(true);
  expect(seen[2]?.event).toMatchObject({ containerId: "c", pid: 7, exitStatus: 42 });
  p.close();
  await server.close();
});

test("a publish while containerd's socket is briefly gone is retried", async () => {
  const seen: { topic: string; ns: string[]; event: Record<string, unknown> }[] = [];
  const sock = join(dir, "b.sock");
  const p = createPublisher(sock, "ns1");
  p.publish("containerd.events.TaskOOM", { containerId: "c" });
  await Bun.sleep(50);
  const server = eventsServer(seen);
  await server.listen(sock);
  await p.flush();
  expect(seen.map((s) => s.topic)).toEqual(["/tasks/oom"]);
  p.close();
  await server.close();
});
