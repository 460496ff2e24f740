// Which leftovers a runm-owned containerd's stop may kill: its own programs under its dir, never
// another process that merely names a path there.
import { expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { containerdLayout } from "./config.ts";
import { leftoverProcesses } from "./teardown.ts";

test("a VM under the dir is a leftover; a user's process naming the dir is not", async () => {
  const dir = mkdtempSync(join(tmpdir(), "runm-teardown-"));
  const marker = join(dir, "bundle", "x");
  // bash's exec -a sets argv[0]: a "qemu-system-x86_64" whose command line names the dir.
  const vm = Bun.spawn(["bash", "-c", `exec -a qemu-system-x86_64 sh -c 'sleep 30' ${marker}`]);
  const user = Bun.spawn(["sh", "-c", "sleep 30", marker]);
  try {
    await Bun.sleep(200);
    expect(leftoverProcesses(containerdLayout(dir))).toEqual([vm.pid]);
  } finally {
    vm.kill();
    user.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});
