// ttrpc against a real peer: containerd's own ttrpc Events service on a private containerd.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type ChildProcess, spawn } from "node:child_process";
import { type PrivateContainerd, startPrivateContainerd } from "../containerd/private.ts";
import { codec, packAny, timestamp } from "../containerd/protos.ts";
import { isRunmError } from "../errors.ts";
import { TtrpcClient } from "./client.ts";

const FORWARD = codec("containerd.services.events.ttrpc.v1.ForwardRequest");

let ctd: PrivateContainerd;
let events: ChildProcess;
let seen = "";

beforeAll(async () => {
  ctd = await startPrivateContainerd();
  events = spawn("ctr", ["--address", ctd.address, "events"], { stdio: ["ignore", "pipe", "ignore"] });
  events.stdout?.on("data", (c: Buffer) => {
    seen += c.toString();
  });
  await Bun.sleep(300); // let ctr subscribe before anything is published
});

afterAll(async () => {
  if (events.pid) process.kill(events.pid, "SIGKILL");
  await ctd?.stop();
});

describe("ttrpc with containerd as the peer", () => {
  test("Events/Forward publishes an event that ctr events shows", async () => {
    const client = await TtrpcClient.connect(ctd.ttrpcAddress);
    const envelope = {
      timestamp: timestamp(),
      namespace: "runm-test",
      topic: "/tasks/oom",
      event: packAny("containerd.events.TaskOOM", { containerId: "ttrpc-peer-check" }),
    };
    const reply = await client.call(
      "containerd.services.events.ttrpc.v1.Events",
      "Forward",
      FORWARD.encode({ envelope }),
      { timeoutMs: 5000, metadata: { "containerd-namespace-ttrpc": ["runm-test"] } },
    );
    expect(reply.length).toBe(0); // google.protobuf.Empty
    for (let i = 0; i < 50 && !seen.includes("ttrpc-peer-check"); i++) await Bun.sleep(50);
    const line = seen.split("\n").find((l) => l.includes("ttrpc-peer-check")) ?? "";
    expect(line).toContain("runm-test");
    expect(line).toContain("/tasks/oom");
    expect(line).toContain('"container_id":"ttrpc-peer-check"');
    client.close();
  });

  test("containerd's status errors come back as RunmErrors", async () => {
    const client = await TtrpcClient.connect(`unix://${ctd.ttrpcAddress}`);
    const missing = await client
      .call("containerd.services.events.ttrpc.v1.Events", "Nope", new Uint8Array())
      .catch((e) => e);
    expect(isRunmError(missing, "NotImplemented")).toBe(true);
    const bad = await client
      .call(
        "containerd.services.events.ttrpc.v1.Events",
        "Forward",
        FORWARD.encode({ envelope: { namespace: "bad namespace!", topic: "/x" } }),
      )
      .catch((e) => e);
    expect(isRunmError(bad, "InvalidArgument")).toBe(true);
    expect(bad.message).toContain("invalid namespace");
    client.close();
  });
});
