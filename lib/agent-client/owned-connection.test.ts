// close() hangs up the agent's socket itself, even when the peer never spoke HTTP/2: what QEMU's
// chardev looks like while the guest's agent is still booting. grpc-js alone kept such a
// connection open for over 25 s after close (measured), and a template snapshotted meanwhile hung
// every clone.
import { expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AgentClient } from "./client.ts";

test("close() closes the agent connection at once, even one whose peer never answered", async () => {
  const dir = mkdtempSync(join(tmpdir(), "runm-owned-"));
  const path = join(dir, "agent.sock");
  const accepted: Socket[] = [];
  const hungUp = Promise.withResolvers<void>();
  const server = createServer((c) => {
    accepted.push(c);
    c.on("data", () => {}); // read, as QEMU does, so the hang-up is seen
    c.on("error", () => {});
    c.on("close", () => hungUp.resolve());
  });
  await new Promise<void>((r) => server.listen(path, r));
  const client = new AgentClient(path);
  try {
    await expect(client.hello(300)).rejects.toThrow(/Deadline/);
    expect(accepted.length).toBe(1);
    client.close();
    await hungUp.promise; // without the host owning its socket this waited > 25 s
    await Bun.sleep(300); // and grpc-js does not dial again behind the close
    expect(accepted.length).toBe(1);
  } finally {
    client.close();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}, 10_000);
