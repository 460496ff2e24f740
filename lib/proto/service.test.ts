import { expect, test } from "bun:test";
import { agentMethods, agentRoot, agentService, bytesOnlyCodec } from "./service.ts";

test("every RPC has its own Request/Response message (streams excepted)", () => {
  const streams = new Set(["ReadOutput", "WriteStdin", "Events", "ForwardHostPorts", "Tunnel"]);
  for (const name of agentMethods) {
    const m = agentRoot.lookupService("runm.agent.v1.Agent").methods[name];
    expect(m).toBeDefined();
    if (!streams.has(name)) {
      expect(m?.requestType).toBe(`${name}Request`);
      expect(m?.responseType).toBe(`${name}Response`);
    }
  }
  expect(agentMethods).toContain("Create");
  expect(agentService.ReadOutput?.responseStream).toBe(true);
  expect(agentService.WriteStdin?.requestStream).toBe(true);
});

test("messages round-trip with camelCase fields, numbers for uint64 and bytes intact", () => {
  const stats = agentService.Stats;
  if (!stats) throw new Error("no Stats");
  const wire = stats.responseSerialize({ memoryUsageBytes: 5_000_000_000, pidsCurrent: 3 });
  expect(stats.responseDeserialize(wire)).toMatchObject({
    memoryUsageBytes: 5_000_000_000,
    pidsCurrent: 3,
    cpuUsageUsec: 0,
  });
  const read = agentService.ReadOutput;
  if (!read) throw new Error("no ReadOutput");
  const chunk = read.responseDeserialize(read.responseSerialize({ data: Buffer.from([0, 1, 255]) })) as {
    data: Uint8Array;
  };
  expect([...chunk.data]).toEqual([0, 1, 255]);
  const create = agentService.Create;
  const req = create?.requestDeserialize(
    create.requestSerialize({ containerId: "c1", stdio: { terminal: true } }),
  ) as { containerId: string; stdio: { terminal: boolean; stdin: boolean } };
  expect(req).toMatchObject({ containerId: "c1", stdio: { terminal: true, stdin: false } });
});

test("the OutputChunk fast codec matches protobufjs for every length class", () => {
  const type = agentRoot.lookupType("runm.agent.v1.OutputChunk");
  for (const len of [0, 1, 127, 128, 16_383, 16_384, 300_000]) {
    const data = new Uint8Array(len).map((_, i) => i % 251);
    const fast = bytesOnlyCodec.serialize({ data });
    expect(Buffer.from(fast).equals(Buffer.from(type.encode({ data }).finish()))).toBe(true);
    expect(Buffer.from(bytesOnlyCodec.deserialize(fast).data).equals(Buffer.from(data))).toBe(true);
  }
  // A message with an extra field first goes through the generic decoder.
  const other = Buffer.from([0x10, 0x01, 0x0a, 0x02, 7, 8]);
  expect([...bytesOnlyCodec.deserialize(other).data]).toEqual([7, 8]);
});
