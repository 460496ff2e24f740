import { expect, test } from "bun:test";
import { agentMethods, agentRoot, agentService } from "./service.ts";

test("every RPC has its own Request/Response message (streams excepted)", () => {
  const streams = new Set(["Events", "ForwardHostPorts", "Tunnel"]);
  for (const name of agentMethods) {
    const m = agentRoot.lookupService("runm.agent.v1.Agent").methods[name];
    expect(m).toBeDefined();
    if (!streams.has(name)) {
      expect(m?.requestType).toBe(`${name}Request`);
      expect(m?.responseType).toBe(`${name}Response`);
    }
  }
  expect(agentMethods).toContain("Create");
  expect(agentService.Events?.responseStream).toBe(true);
  expect(agentService.Tunnel?.requestStream).toBe(true);
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
  const tunnel = agentService.Tunnel;
  if (!tunnel) throw new Error("no Tunnel");
  const chunk = tunnel.responseDeserialize(tunnel.responseSerialize({ data: Buffer.from([0, 1, 255]) })) as {
    data: Uint8Array;
  };
  expect([...chunk.data]).toEqual([0, 1, 255]);
  const create = agentService.Create;
  const req = create?.requestDeserialize(
    create.requestSerialize({ containerId: "c1", stdio: { terminal: true } }),
  ) as { containerId: string; stdio: { terminal: boolean; stdin: boolean } };
  expect(req).toMatchObject({ containerId: "c1", stdio: { terminal: true, stdin: false } });
});
