import { expect, test } from "bun:test";
import { Metadata, status } from "@grpc/grpc-js";
import { RunmError } from "../errors.ts";
import { HINT_METADATA_KEY } from "../proto/wire.ts";
import { AgentClient } from "./client.ts";
import { fromStatus } from "./errors.ts";

test("gRPC statuses become RunmError kinds, with the hint from metadata", () => {
  const md = new Metadata();
  md.set(HINT_METADATA_KEY, "do this");
  const e = fromStatus({ code: status.NOT_FOUND, details: "container x not found", metadata: md }, "State");
  expect(e).toBeInstanceOf(RunmError);
  expect(e.kind).toBe("NotFound");
  expect(e.message).toBe("agent State: container x not found");
  expect(e.hint).toBe("do this");
  expect(fromStatus({ code: status.UNAVAILABLE, details: "x" }, "Hello").hint).toContain("VM console log");
  expect(fromStatus({ code: status.DATA_LOSS, details: "x" }, "Hello").kind).toBe("Internal");
  expect(fromStatus(new Error("plain"), "Hello").kind).toBe("Internal");
});

test("an agent that is not there: Unavailable/DeadlineExceeded with the caller's stack", async () => {
  const client = new AgentClient("/nonexistent/agent.sock");
  const e = (await client.hello(300).catch((err) => err)) as RunmError;
  client.close();
  expect(["Unavailable", "DeadlineExceeded"]).toContain(e.kind);
  expect(e.stack).toContain("errors.test.ts");
});
