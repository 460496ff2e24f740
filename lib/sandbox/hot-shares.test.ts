// Shares added to a running VM (lib/vm/qemu/hot-shares.ts), through the real thing: a jailed QEMU
// under TCG restored from its template, a first container running, then a second container whose
// root filesystem and volumes were bind-mounted on the host *after* the VM started (the pod's
// later container), and the host's mounts gone again after each step.
import { expect, setDefaultTimeout, test } from "bun:test";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { AgentClient } from "../agent-client/index.ts";
import { generateSpec } from "../oci/spec.ts";
import { bindMount, detachMount, makeShared, mountPointsUnder } from "../sys/mounts.ts";
import { vmsRoot } from "../vm/runtime-dir.ts";
import { vmTestSuite } from "../vm/testdata/vm-env.ts";
import { type MountPlan, planMounts } from "./mounts.ts";
import { defaultSandboxConfig, Sandbox } from "./sandbox.ts";

setDefaultTimeout(240_000);
const { work, rootfs } = vmTestSuite("hot-shares");

async function run(agent: AgentClient, id: string, plan: MountPlan, args: string[]): Promise<string> {
  const spec = generateSpec({
    args,
    rootfs: plan.rootfs,
    binds: plan.mounts.map((m) => ({
      source: m.source as string,
      destination: m.destination,
      readOnly: (m.options ?? []).includes("ro"),
    })),
  });
  await agent.create(id, spec, { rootfs: plan.rootfs });
  let out = "";
  const read = (async () => {
    for await (const c of agent.output({ containerId: id })) out += new TextDecoder().decode(c);
  })();
  await agent.start({ containerId: id });
  const exit = await agent.wait({ containerId: id });
  await read;
  await agent.delete({ containerId: id });
  return `${out}exit ${exit.exitStatus}\n`;
}

test("a second container's rootfs and volumes, shared after the VM started, are seen, ro refused, rw written; the host's mounts go with it", async () => {
  const ro = join(work, "ro-vol");
  const rw = join(work, "rw-vol");
  mkdirSync(ro);
  mkdirSync(rw);
  writeFileSync(join(ro, "hello"), "from a hot share\n");
  const first = planMounts("a", "/", [{ type: "bind", source: rootfs, options: [] }], {});
  const sandbox = await Sandbox.start({
    ...defaultSandboxConfig(`hot-${process.pid}`, first.shares),
    hotShares: true,
  });
  const hotRoot = join(sandbox.vm.runtimeDir, "hot");
  try {
    await sandbox.mount(first.guestMounts);
    expect(await run(sandbox.agent, "a", first, ["sh", "-c", "echo first"])).toBe("first\nexit 0\n");

    const second = planMounts(
      "b",
      "/",
      [{ type: "bind", source: rootfs, options: [] }],
      {
        mounts: [
          { destination: "/ro", type: "bind", source: ro, options: ["rbind", "ro"] },
          { destination: "/rw", type: "bind", source: rw, options: ["rbind", "rw"] },
        ],
      },
      { sharePrefix: "b-", firstSocket: 0 },
    );
    sandbox.addShares(second.shares);
    // On the host: only under the VM's own hot roots, read-only where asked.
    const mounted = mountPointsUnder(hotRoot);
    expect(mounted.filter((m) => /\/b-/.test(m)).length).toBe(second.shares.length);
    await sandbox.mount(second.guestMounts);
    const out = await run(sandbox.agent, "b", second, [
      "sh",
      "-c",
      "cat /ro/hello; echo x > /ro/new 2>/dev/null || echo ro refused; echo written > /rw/out; ls /bin/busybox",
    ]);
    expect(out).toBe("from a hot share\nro refused\n/bin/busybox\nexit 0\n");
    expect(readFileSync(join(rw, "out"), "utf8")).toBe("written\n");

    await sandbox.agent.unmount(second.rootfs).catch(() => {});
    sandbox.removeShares(second.shares.map((s) => s.name));
    expect(mountPointsUnder(hotRoot).filter((m) => /\/b-/.test(m))).toEqual([]);
    // The VM goes on: the first container's shares are untouched.
    expect(await run(sandbox.agent, "a2", first, ["sh", "-c", "echo still"])).toBe("still\nexit 0\n");
  } finally {
    await sandbox.shutdown();
  }
  expect(mountPointsUnder(hotRoot)).toEqual([]);
  expect(readFileSync(join(ro, "hello"), "utf8")).toBe("from a hot share\n"); // never removed through
});

test("the jail stays sealed both ways: none of its mounts reaches the host, and a host mount under a launch-time share never reaches the guest", async () => {
  const vol = join(work, "sealed");
  const sub = join(vol, "sub");
  mkdirSync(sub, { recursive: true });
  // As on a systemd host (this one has no shared mounts): the volume and the VMs' state dir are
  // shared mounts, so that only the jail's own propagation settings can keep the two apart.
  const vms = vmsRoot();
  mkdirSync(vms, { recursive: true });
  const shared = [vol, vms];
  for (const d of shared) {
    bindMount(d, d, { readOnly: false, recursive: false });
    makeShared(d);
  }
  let mountedSub = false;
  try {
    const plan = planMounts("c", "/", [{ type: "bind", source: rootfs, options: [] }], {
      mounts: [{ destination: "/vol", type: "bind", source: vol, options: ["rbind", "ro"] }],
    });
    const sandbox = await Sandbox.start({
      ...defaultSandboxConfig(`sealed-${process.pid}`, plan.shares),
      hotShares: true,
    });
    try {
      // The jail's own tmpfs mounts (its root and /share) exist only in its namespace.
      expect(readFileSync("/proc/self/mountinfo", "utf8")).not.toMatch(/ runm-jail | runm-share /);
      // A mount the host makes later under a shared directory stays on the host's side.
      await Bun.$`mount -t tmpfs -o size=1m runm-test ${sub}`.quiet();
      mountedSub = true;
      writeFileSync(join(sub, "host-only"), "x");
      await sandbox.mount(plan.guestMounts);
      const out = await run(sandbox.agent, "c", plan, ["sh", "-c", "ls -A /vol/sub; echo listed"]);
      expect(out).toBe("listed\nexit 0\n");
    } finally {
      await sandbox.shutdown();
    }
  } finally {
    if (mountedSub) detachMount(sub);
    for (const d of shared.reverse()) detachMount(d);
  }
  expect(mountPointsUnder(vol)).toEqual([]);
});
