// The agent's libc calls hand raw pointers to buffers the GC cannot see (recvmsg of runc's pty
// master). Under JSC's continuous collection any buffer not kept referenced across an await is
// freed at once, so a terminal container and a terminal exec only work if every one is.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { type AgentHarness, ociProcess, ociSpec, startAgent, text } from "../test/fixtures/agent-harness.ts";

setDefaultTimeout(60_000);
let h: AgentHarness;

beforeAll(async () => {
  h = await startAgent({ env: { BUN_JSC_collectContinuously: "1" } });
}, 60_000);
afterAll(async () => {
  expect(await h.stop()).toBe(0);
});

test("terminals through runc's console socket survive continuous garbage collection", async () => {
  const c = `gc${process.pid}`;
  await h.client.create(c, ociSpec(["sleep", "1000"], { terminal: true }), {
    rootfs: h.rootfs,
    stdio: { terminal: true },
  });
  await h.client.start({ containerId: c });
  const e = { containerId: c, execId: "t1" };
  await h.client.exec(e, ociProcess(["tty"], { terminal: true }), { terminal: true });
  await h.client.start(e); // an exec's terminal exists once it runs
  const out = text(h.client.output(e));
  expect((await h.client.wait(e)).exitStatus).toBe(0);
  expect(await out).toMatch(/^\/dev\/pts\/\d+/);
  await h.client.delete(e);
  await h.client.kill({ containerId: c }, 9, true);
  await h.client.wait({ containerId: c });
  await h.client.delete({ containerId: c });
});
