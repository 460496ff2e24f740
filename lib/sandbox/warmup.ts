// What a template does before its snapshot: one whole container lifecycle through the normal agent
// API, so that in every clone runc and busybox are in the page cache, the guest kernel's 9p,
// overlay, cgroup and pty paths have run, and the agent's RPC handlers are compiled (a clone's
// first call is then fast: design.md §8 measured 0.23 s against 1.3 s unwarmed). Everything it
// mounts is unmounted again: 9p cannot migrate while mounted.

import type { AgentClient } from "../agent-client/index.ts";
import { GUEST_ROOTFS_ROOT, GUEST_UPPER_ROOT } from "../constants.ts";
import { generateSpec } from "../oci/spec.ts";
import { type GuestShareMount, guestSharePath } from "../vm/vm-interface.ts";

/** The share the template boots with: a busybox root filesystem, read-only. */
export const WARM_SHARE = "warm";
const ID = "runm-warmup";

async function drain(stream: AsyncIterable<Uint8Array>): Promise<string> {
  let out = "";
  for await (const c of stream) out += new TextDecoder().decode(c);
  return out;
}

/**
 * `lower`: where the guest sees the busybox root: the template's launch-time share, or a share
 * added while the VM runs (a spare shim's clone, shim/spare.ts).
 */
export async function warmUp(
  agent: AgentClient,
  shareMounts: GuestShareMount[],
  lower = guestSharePath({ name: WARM_SHARE, readOnly: true }),
): Promise<void> {
  const upper = `${GUEST_UPPER_ROOT}/${ID}`;
  const rootfs = `${GUEST_ROOTFS_ROOT}/${ID}`;
  const mounted: string[] = [];
  for (const m of shareMounts) {
    await agent.mountShare(m);
    mounted.push(m.target);
  }
  await agent.mountShare({ fstype: "tmpfs", tag: "", target: upper, readOnly: false });
  mounted.push(upper);
  await agent.mountShare({
    fstype: "overlay",
    tag: `lowerdir=${lower},upperdir=${upper}/upper,workdir=${upper}/work`,
    target: rootfs,
    readOnly: false,
  });
  mounted.push(rootfs);

  const events = new AbortController();
  const subscribed = Promise.withResolvers<void>();
  const seen = (async () => {
    for await (const _ of agent.events(events.signal, subscribed.resolve)) {
      // consumed: the stream's code paths are what is warmed
    }
  })().catch(() => {});
  await subscribed.promise;

  const init = { containerId: ID };
  const spec = generateSpec({ args: ["sleep", "60"], rootfs });
  await agent.create(ID, spec, { rootfs });
  const initOut = drain(agent.output(init));
  await agent.start(init);
  for (const [execId, terminal] of [
    ["pipes", false],
    ["tty", true],
  ] as const) {
    const e = { containerId: ID, execId };
    const process = { ...spec.process, args: ["sh", "-c", "echo warm; cat /proc/self/status >/dev/null"] };
    await agent.exec(e, process, { terminal, stdin: true });
    // A terminal exists only once its process runs: its output is read after Start.
    const early = terminal ? undefined : drain(agent.output(e));
    await agent.start(e);
    const out = early ?? drain(agent.output(e));
    if (terminal) await agent.resizePty(e, 80, 24);
    await agent.closeStdin(e);
    await agent.wait(e);
    await out;
    await agent.delete(e);
  }
  await agent.stats(ID);
  await agent.ps(ID);
  await agent.kill(init, 9);
  await agent.wait(init);
  await initOut;
  await agent.delete(init);
  events.abort();
  await seen;
  for (const target of mounted.reverse()) await agent.unmount(target);
}
