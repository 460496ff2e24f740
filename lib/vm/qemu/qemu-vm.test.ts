// Real boots of the built guest under QEMU (TCG here) in marker and broken modes: readiness,
// the boot timeline, failure with the console tail, pause/resume, and that nothing is left.
import { afterAll, afterEach, expect, setDefaultTimeout, test } from "bun:test";
import { BOOT_MARKER, hostGuestArch } from "../../constants.ts";
import { isRunmError } from "../../errors.ts";
import { readGuestManifest } from "../../guest-manifest.ts";
import { pidAlive } from "../../sys/proc.ts";
import { vmTestEnv } from "../testdata/vm-env.ts";
import type { VmConfig } from "../vm-interface.ts";
import { QemuDriver } from "./driver.ts";

// VM boots under TCG on a shared 2-core host take 10-30 s each (bunfig's timeout is not applied).
setDefaultTimeout(240_000);
const env = vmTestEnv();
const m = readGuestManifest(hostGuestArch());
const driver = await QemuDriver.create(m.arch);
afterEach(async () => expect(await env.settle()).toEqual({ pids: [], dirs: [] }));
afterAll(() => env.cleanup());

const base = (id: string): VmConfig => ({
  id,
  arch: m.arch,
  kernel: m.kernel.path,
  initrd: m.initramfs.path,
  mbinDisk: m.squashfs.path,
  mode: "marker",
  cpus: 1,
  memoryMiB: 256,
  shares: [],
  ports: [],
  console: "file",
  bootTimeoutMs: 30_000,
});

test("marker mode boots to the marker; the timeline has launch < init < ready", async () => {
  const vm = driver.configure(base("marker"));
  try {
    const tl = await vm.start({ kind: "console", marker: BOOT_MARKER });
    const [launch, init, ready] = [tl.get("launch"), tl.get("init"), tl.get("ready")] as [
      number,
      number,
      number,
    ];
    expect(launch).toBeLessThan(init);
    expect(init).toBeLessThan(ready);
    expect(vm.consoleTail(50).join("\n")).toContain(BOOT_MARKER);
    // /init powers off after the marker; -no-reboot makes QEMU exit by itself.
    expect(await vm.exited()).toBe(0);
  } finally {
    await vm.shutdown();
  }
});

test("a guest whose /init fails ends start() fast with the console's last lines", async () => {
  const vm = driver.configure({ ...base("broken"), mode: "agent", extraCmdline: ["runm.mode=bogus"] });
  const t = performance.now();
  try {
    await vm.start({ kind: "agent", handshake: () => new Promise(() => {}) });
    throw new Error("start() succeeded");
  } catch (e) {
    expect(isRunmError(e, "Unavailable")).toBe(true);
    const err = e as import("../../errors.ts").RunmError;
    expect(err.message).toContain("exited during boot");
    expect(err.details.join("\n")).toContain("runm-init: read runm.mode failed: unknown mode 'bogus'");
    expect(err.hint).toContain("runm build all");
  } finally {
    await vm.shutdown();
  }
  expect(performance.now() - t).toBeLessThan(15_000);
});

test("a readiness deadline gives DeadlineExceeded, and shutdown stops the running VM", async () => {
  const vm = driver.configure({ ...base("deadline"), mode: "shell", bootTimeoutMs: 1500 });
  try {
    await vm.start({ kind: "console", marker: "never-printed" });
    throw new Error("start() succeeded");
  } catch (e) {
    expect(isRunmError(e, "DeadlineExceeded")).toBe(true);
  }
  const pids = (vm as unknown as { hostPids(): number[] }).hostPids();
  expect(pids.length).toBe(1);
  await vm.shutdown();
  await vm.shutdown(); // idempotent
  expect(pids.every((p) => !pidAlive(p))).toBe(true);
});

test("shutdown before start removes the runtime dir; a second VM with a live id is refused", async () => {
  const a = driver.configure(base("same"));
  await a.start({ kind: "none" });
  expect(() => driver.configure(base("same"))).toThrow(/already running/);
  await a.shutdown();
  const b = driver.configure(base("never"));
  await b.shutdown();
});

test("pause and resume through QMP", async () => {
  const vm = driver.configure({ ...base("pause"), mode: "shell" });
  try {
    await vm.start({ kind: "console", marker: "shell mode" });
    const p = vm as unknown as { pause(): Promise<void>; resume(): Promise<void> };
    await p.pause();
    await p.resume();
  } finally {
    await vm.shutdown();
  }
});
