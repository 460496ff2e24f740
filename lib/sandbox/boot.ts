// Bringing up one VM with its agent answering, ready for containers: the single way runm starts a
// guest for a sandbox or a template. Boot (or restore), handshake, then Setup: clock, fresh
// entropy, log level and id, before anything else runs in the guest. On any failure nothing is
// left running.
import { randomBytes } from "node:crypto";
import { AgentClient } from "../agent-client/index.ts";
import type { GuestRuntime } from "../constants.ts";
import type { BootTimeline } from "../vm/timeline.ts";
import type { Vm, VmConfig, VmDriver } from "../vm/vm-interface.ts";

/** Host random bytes per Setup: a full 256-bit reseed of the guest's CRNG, twice over. */
const ENTROPY_BYTES = 64;
/** How long the handshake keeps asking (the boot itself is bounded by the VM's boot timeout). */
const HANDSHAKE_MS = 600_000;

export interface AgentVm {
  vm: Vm;
  agent: AgentClient;
  timeline: BootTimeline;
}

export async function startAgentVm(
  driver: VmDriver,
  config: VmConfig,
  opts: { onVm?: (vm: Vm) => void; runtime?: GuestRuntime } = {},
): Promise<AgentVm> {
  const { onVm, runtime } = opts;
  const vm = driver.configure(config);
  onVm?.(vm);
  const agent = new AgentClient(vm.agentSocket, { stdioRing: vm.stdioRing });
  try {
    const timeline = await vm.start({
      kind: "agent",
      handshake: async () => {
        await agent.waitReady(config.bootTimeoutMs ?? HANDSHAKE_MS);
      },
    });
    await agent.setup({
      entropy: randomBytes(ENTROPY_BYTES),
      logLevel: config.guestLogLevel,
      sandboxId: config.id,
      runtime,
    });
    return { vm, agent, timeline };
  } catch (e) {
    agent.close();
    await vm.shutdown();
    throw e;
  }
}
