// SIGTERM to the agent (VM shutdown, Ctrl-C of a test agent) ends every container it runs.
import { expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { ociSpec, startAgent } from "../test/fixtures/agent-harness.ts";

test("SIGTERM kills running containers, reaps them and exits 0", async () => {
  const h = await startAgent();
  const pids: number[] = [];
  try {
    for (const [c, terminal] of [
      ["s1", false],
      ["s2", true],
    ] as const) {
      await h.client.create(c, ociSpec(["sleep", "1000"], { terminal }), {
        rootfs: h.rootfs,
        stdio: { terminal },
      });
      await h.client.start({ containerId: c });
      pids.push((await h.client.state({ containerId: c })).pid);
    }
    await h.client.create("s3", ociSpec(["sleep", "1000"]), { rootfs: h.rootfs }); // created, never started
    pids.push((await h.client.state({ containerId: "s3" })).pid);
    for (const pid of pids) expect(existsSync(`/proc/${pid}`)).toBe(true);
  } finally {
    expect(await h.stop()).toBe(0);
  }
  // Reaped, not merely killed: a zombie would still have a /proc entry.
  for (const pid of pids) expect(existsSync(`/proc/${pid}`)).toBe(false);
}, 60_000);
