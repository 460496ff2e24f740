// The agent as it ships: `bun build --compile agent/main.ts` (the .proto inlined, ffi, worker
// threads from Blob URLs), run and driven through the client with a real runc.
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "../lib/exec.ts";
import { REPO_ROOT } from "../lib/paths.ts";
import { descendants, ociSpec, startAgent, text } from "../test/fixtures/agent-harness.ts";

const out = mkdtempSync(join(tmpdir(), "runm-agent-bin-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

test("the compiled agent runs a container with a terminal", async () => {
  const binary = join(out, "runm-agent");
  await run("bun", ["build", "--compile", join(REPO_ROOT, "agent/main.ts"), "--outfile", binary], {
    what: "compiling the agent",
  });
  const h = await startAgent({ binary });
  try {
    // It is the binary that answers, not a bun running main.ts.
    expect(readFileSync(`/proc/${h.agentPid}/cmdline`, "utf8").split("\0")[0]).toBe(binary);
    const c = "compiled-1";
    await h.client.create(c, ociSpec(["sh", "-c", "tty; echo hi"], { terminal: true }), {
      rootfs: h.rootfs,
      stdio: { terminal: true },
    });
    const output = text(h.client.output({ containerId: c }));
    await h.client.start({ containerId: c });
    expect((await h.client.wait({ containerId: c })).exitStatus).toBe(0);
    expect(await output).toMatch(/^\/dev\/pts\/\d+\r\nhi\r\n$/);
    await h.client.delete({ containerId: c });
    expect(descendants(h.agentPid)).toEqual([]);
  } finally {
    expect(await h.stop()).toBe(0);
  }
}, 120_000);
