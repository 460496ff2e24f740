// Templates through the real thing: a changed guest kernel gets a new template (the stale one is
// never used, and is pruned), a restore killed half-way falls back to a cold boot and leaves
// nothing behind, eight sandboxes restore from one template at once, and two clones of one
// template draw different random bytes and read the host's clock (docs/SECURITY.md promise 12).
import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { appendFileSync, copyFileSync, existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { sha256File } from "../build/hash.ts";
import { hostGuestArch } from "../constants.ts";
import { type GuestManifest, readGuestManifest } from "../guest-manifest.ts";
import { generateSpec } from "../oci/spec.ts";
import { DEFAULT_VM_CPUS, DEFAULT_VM_MEMORY_MIB } from "../vm/defaults.ts";
import { hostDriver } from "../vm/select-driver.ts";
import { vmTestSuite } from "../vm/testdata/vm-env.ts";
import { hasHostPids, type Vm } from "../vm/vm-interface.ts";
import { planMounts } from "./mounts.ts";
import { defaultSandboxConfig, Sandbox, type SandboxConfig } from "./sandbox.ts";
import { ensureTemplate, listTemplates } from "./template.ts";

setDefaultTimeout(300_000);
const { work, rootfs } = vmTestSuite("tpl");
const templates = join("/dev/shm", `runm-tpl-test-${process.pid}`);
afterAll(() => rmSync(templates, { recursive: true, force: true }));

const plan = () => planMounts("c", "/", [{ type: "bind", source: rootfs, options: ["ro"] }], {});

function config(manifest: GuestManifest, id: string, extra: Partial<SandboxConfig> = {}): SandboxConfig {
  return defaultSandboxConfig(id, plan().shares, { manifest, templateRoot: templates, ...extra });
}

/** Run `args` as a container in the sandbox; its output. */
async function runIn(s: Sandbox, args: string[]): Promise<string> {
  const p = plan();
  await s.agent.create("c", generateSpec({ args, rootfs: p.rootfs }), { rootfs: p.rootfs });
  let out = "";
  const read = (async () => {
    for await (const c of s.agent.output({ containerId: "c" })) out += new TextDecoder().decode(c);
  })();
  await s.agent.start({ containerId: "c" });
  await s.agent.wait({ containerId: "c" });
  await read;
  await s.agent.delete({ containerId: "c" });
  return out;
}

const echo = (s: Sandbox, word: string) => runIn(s, ["echo", word]);

test("a changed kernel gets a new template: the stale one is never restored, and is pruned", async () => {
  const m = readGuestManifest(hostGuestArch());
  const driver = await hostDriver();
  const a = await ensureTemplate({
    manifest: m,
    driver,
    cpus: DEFAULT_VM_CPUS,
    memoryMiB: DEFAULT_VM_MEMORY_MIB,
    root: templates,
  });
  // The same kernel with one more byte after its ELF image: it boots the same, hashes differently.
  const kernel = join(work, "vmlinux");
  copyFileSync(m.kernel.path, kernel);
  appendFileSync(kernel, "\n");
  const changed: GuestManifest = {
    ...m,
    kernel: { ...m.kernel, path: kernel, sha256: await sha256File(kernel) },
  };
  const s = await Sandbox.start(config(changed, `tpl-${process.pid}`));
  try {
    expect(s.restored).toBe(true);
    expect(await echo(s, "fresh")).toBe("fresh\n");
  } finally {
    await s.shutdown();
  }
  const keys = listTemplates(templates).map((t) => t.key);
  expect(keys).not.toContain(a.key); // made from the old kernel: pruned
  expect(keys.length).toBe(1);
  expect(listTemplates(templates)[0]?.shape.kernel).toBe(changed.kernel.sha256);
});

test("a restore whose QEMU is killed half-way falls back to a cold boot; nothing is left", async () => {
  const m = readGuestManifest(hostGuestArch());
  let killed = false;
  const onVm = (vm: Vm) => {
    if (killed || vm.config.boot?.kind !== "restore") return;
    killed = true;
    void (async () => {
      // As soon as the jail has launched: before the state is loaded or just after.
      for (let i = 0; i < 2000 && !(hasHostPids(vm) && vm.hostPids().length); i++) await Bun.sleep(1);
      for (const pid of hasHostPids(vm) ? vm.hostPids() : []) process.kill(pid, "SIGKILL");
    })();
  };
  const s = await Sandbox.start(config(m, `tplkill-${process.pid}`, { onVm }));
  try {
    expect(killed).toBe(true);
    expect(s.restored).toBe(false);
    expect(await echo(s, "cold")).toBe("cold\n");
  } finally {
    await s.shutdown();
  }
});

test("a template build killed half-way leaves nothing behind once the next build of it runs (the pod shape: its scratch network namespace too)", async () => {
  const root = join(templates, "killed");
  const shape = { cpus: DEFAULT_VM_CPUS, memoryMiB: DEFAULT_VM_MEMORY_MIB, root, podNetwork: true };
  const scratch = () =>
    (existsSync("/run/netns") ? readdirSync("/run/netns") : []).filter((n) => n.startsWith("runm-template-"));
  // A builder in a process of its own, SIGKILLed once its build dir exists (a shim killed during
  // its first container, a Ctrl-C).
  const lib = (f: string) => JSON.stringify(join(import.meta.dir, "..", f));
  const builder = Bun.spawn(
    [
      process.execPath,
      "-e",
      `import { ensureTemplate } from ${lib("sandbox/template.ts")};
       import { hostDriver } from ${lib("vm/select-driver.ts")};
       import { readGuestManifest } from ${lib("guest-manifest.ts")};
       import { hostGuestArch } from ${lib("constants.ts")};
       await ensureTemplate({ manifest: readGuestManifest(hostGuestArch()), driver: await hostDriver(), ...${JSON.stringify(shape)} });`,
    ],
    { env: process.env, stdout: "ignore", stderr: "ignore" },
  );
  const building = () => existsSync(root) && readdirSync(root).some((n) => n.includes(".build-"));
  for (let i = 0; i < 600 && !building(); i++) await Bun.sleep(50);
  expect(building()).toBe(true);
  await Bun.sleep(1000); // its QEMU is up and the memory file in use
  builder.kill("SIGKILL");
  await builder.exited;
  expect(building()).toBe(true); // what a killed builder leaves
  expect(scratch().length).toBe(1);

  const t = await ensureTemplate({
    manifest: readGuestManifest(hostGuestArch()),
    driver: await hostDriver(),
    ...shape,
  });
  expect(readdirSync(root).sort()).toEqual([t.key, `${t.key}.lock`]);
  expect(t.shape.network).toBe("pod");
  expect(scratch()).toEqual([]);
});

test("eight sandboxes restored from one template at once all run", async () => {
  const m = readGuestManifest(hostGuestArch());
  const outs = await Promise.all(
    Array.from({ length: 8 }, async (_, i) => {
      const s = await Sandbox.start(config(m, `tpl8-${i}-${process.pid}`));
      try {
        return [s.restored, await echo(s, `n${i}`)] as const;
      } finally {
        await s.shutdown();
      }
    }),
  );
  expect(outs).toEqual(Array.from({ length: 8 }, (_, i) => [true, `n${i}\n`] as const));
});

test("two clones of one template draw different random bytes and read the host's clock", async () => {
  const m = readGuestManifest(hostGuestArch());
  // 16 bytes of the container's /dev/urandom, and its clock in whole seconds.
  const probe = ["sh", "-c", "head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \\n'; echo; date +%s"];
  const draws: { restored: boolean; random?: string; lag: number }[] = [];
  for (const name of ["a", "b"]) {
    const s = await Sandbox.start(config(m, `tplrnd-${name}-${process.pid}`));
    try {
      const [random, clock] = (await runIn(s, probe)).trim().split("\n");
      draws.push({ restored: s.restored, random, lag: Math.abs(Number(clock) - Date.now() / 1000) });
    } finally {
      await s.shutdown();
    }
  }
  expect(draws.length).toBe(2);
  for (const d of draws) {
    expect(d.restored).toBe(true);
    expect(d.random).toMatch(/^[0-9a-f]{32}$/);
    // The template was snapshotted earlier; a clone that kept its template's clock would lag.
    expect(d.lag).toBeLessThan(5);
  }
  expect(draws[0]?.random).not.toBe(draws[1]?.random);
});
