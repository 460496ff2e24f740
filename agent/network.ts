// The guest side of a pod's CNI network (lib/net/guest-network.ts): the VM's eth0 gives up the
// template's user-mode addresses and becomes the pod's interface, with busybox `ip` (the guest's
// only network tool), one command at a time, each argv checked before it runs.
import { GUEST_BUSYBOX_PATH } from "../lib/constants.ts";
import { failedPrecondition } from "../lib/errors.ts";
import { logger } from "../lib/log.ts";
import { type GuestNetwork, ipCommands } from "../lib/net/guest-network.ts";
import type { Reaper } from "./sys/reaper.ts";

const log = logger("network");
/** The VM's one NIC. */
export const GUEST_NIC = "eth0";

export async function configureNetwork(n: GuestNetwork, reaper: Reaper): Promise<void> {
  for (const args of ipCommands(n, GUEST_NIC)) {
    const proc = Bun.spawn([GUEST_BUSYBOX_PATH, "ip", ...args], {
      stdin: "ignore",
      stdout: "ignore",
      stderr: "pipe",
    });
    reaper.ownedByBun(proc.pid, proc.exited);
    const [code, stderr] = await Promise.all([proc.exited, new Response(proc.stderr).text()]);
    if (code !== 0)
      throw failedPrecondition(
        `ip ${args.join(" ")} failed in the guest: ${stderr.trim() || `exit ${code}`}`,
      );
  }
  log.debug(`${GUEST_NIC}: ${n.addresses.join(" ")} (${n.mac}, mtu ${n.mtu})`);
}
