// The exec FIFO handshake against a stand-in for runc init (a shell that opens the FIFO for
// writing, writes a byte, then holds its end until it "execs"); the real runc is driven through it
// by agent-basic.test.ts and every e2e suite.
import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startThroughExecFifo } from "./exec-fifo.ts";

const dir = mkdtempSync(join(tmpdir(), "runm-exec-fifo-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fifo(name: string): string {
  const p = join(dir, name);
  Bun.spawnSync(["mkfifo", p]);
  return p;
}

test("resolves only once the init's end closes (its exec), and removes the FIFO", async () => {
  const f = fifo("ok");
  // The init opens its end late (after start has begun) and holds it 300 ms after the byte.
  const init = Bun.spawn(["sh", "-c", `sleep 0.2; exec 3>${f}; printf 0 >&3; sleep 0.3; exec 3>&-; sleep 5`]);
  const t0 = performance.now();
  await startThroughExecFifo("c1", f, init.exited);
  expect(performance.now() - t0).toBeGreaterThan(450);
  expect(existsSync(f)).toBe(false);
  init.kill();
});

test("an init that dies before writing fails the start as runc does", async () => {
  const f = fifo("dead");
  const init = Bun.spawn(["true"]);
  await expect(startThroughExecFifo("c2", f, init.exited)).rejects.toThrow("already dead");
});

test("a container without its FIFO (started already) is refused in one line", async () => {
  await expect(startThroughExecFifo("c3", join(dir, "absent"), new Promise(() => {}))).rejects.toThrow(
    "exec FIFO is gone",
  );
});
