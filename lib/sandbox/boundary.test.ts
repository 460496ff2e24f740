// The VM boundary, through the real thing (docs/SECURITY.md numbers each promise and names the test
// here that proves it): `runm vm run` as a subprocess, QEMU jailed under TCG, a hostile container.
import { expect, setDefaultTimeout, test } from "bun:test";
import { chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { GUEST_SHARE_ROOT } from "../constants.ts";
import { generateSpec } from "../oci/spec.ts";
import { lookupUser } from "../vm/qemu/vmm-user.ts";
import { RUNM, runm, vmTestSuite } from "../vm/testdata/vm-env.ts";
import { planMounts } from "./mounts.ts";
import { defaultSandboxConfig, Sandbox } from "./sandbox.ts";

setDefaultTimeout(240_000);
const { env, work, rootfs } = vmTestSuite("boundary");

const vmRun = (args: string[], cmd: string[]) =>
  runm(env, ["vm", "run", "--rootfs", rootfs, ...args, "--", ...cmd]);

/** /proc/PID/status fields of every process of this test's VMs whose program matches `re`. */
function statusOf(re: RegExp): Record<string, string>[] {
  const out: Record<string, string>[] = [];
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
      if (!cmd.join(" ").includes(env.stateDir) || !re.test(cmd[0] ?? "")) continue;
      const fields = Object.fromEntries(
        readFileSync(`/proc/${pid}/status`, "utf8")
          .split("\n")
          .map((l) => l.split(":\t").map((x) => x.trim()) as [string, string]),
      );
      out.push({ ...fields, root: readdirSync(`/proc/${pid}/root`).sort().join(",") });
    } catch {
      // exited while we looked
    }
  }
  return out;
}

const CAP_SYS_ADMIN = 21n;

test("promise 1: the VMM runs as runm-vmm, jailed, with three capabilities, no CAP_SYS_ADMIN, under seccomp", async () => {
  const p = Bun.spawn([...RUNM, "vm", "run", "--rootfs", rootfs, "--", "sh", "-c", "echo up; sleep 60"], {
    env: env.env,
    stdout: "pipe",
    stderr: "pipe",
  });
  await (p.stdout as ReadableStream<Uint8Array>).getReader().read(); // "up": the VM runs
  const qemu = statusOf(/qemu-system/);
  p.kill("SIGINT");
  await p.exited;
  expect(qemu.length).toBe(1);
  const s = qemu[0] as Record<string, string>;
  const user = lookupUser("runm-vmm");
  expect(s.Uid?.split(/\s+/)).toEqual(Array(4).fill(String(user?.uid)));
  const eff = BigInt(`0x${s.CapEff}`);
  expect(eff & (1n << CAP_SYS_ADMIN)).toBe(0n);
  expect(eff).toBe(0b1110n); // dac_override, dac_read_search, fowner
  expect(BigInt(`0x${s.CapBnd}`)).toBe(0b1110n);
  expect(s.Seccomp).toBe("2"); // a filter: QEMU's -sandbox
  expect(s.NoNewPrivs).toBe("1");
  // Its root is the jail: only what it needs (the runtime dir keeps its host path, under /tmp
  // here); no host /etc, /home, /root, /var.
  const allowed = new Set("bin,dev,guest,lib,lib32,lib64,libx32,proc,sbin,share,tmp,usr,template".split(","));
  expect(s.root?.split(",").filter((d) => !allowed.has(d))).toEqual([]);
  expect(s.root?.split(",")).toContain("share");
});

test("promise 2: shares whose names hold , = spaces and a newline point exactly where they should", async () => {
  const names = ["a,path=", "x=y,z", "with space", "new\nline"];
  const args: string[] = [];
  names.forEach((n, i) => {
    const dir = join(work, n);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "who"), `share-${i}\n`);
    args.push("-v", `${dir}:/v${i}:ro`);
  });
  const r = await vmRun(args, ["sh", "-c", "cat /v0/who /v1/who /v2/who /v3/who"]);
  expect(r.stdout).toBe("share-0\nshare-1\nshare-2\nshare-3\n");
  expect(r.code).toBe(0);
});

test("promise 3: a single-file bind exposes that file alone, never its siblings", async () => {
  const dir = join(work, "home");
  mkdirSync(dir);
  writeFileSync(join(dir, ".bashrc"), "alias ll='ls -l'\n");
  writeFileSync(join(dir, "secret"), "do-not-share\n");
  const plan = planMounts("c", "/", [{ type: "bind", source: rootfs, options: [] }], {
    mounts: [{ destination: "/root/.bashrc", type: "bind", source: join(dir, ".bashrc"), options: ["ro"] }],
  });
  const sandbox = await Sandbox.start(defaultSandboxConfig(`boundary-${process.pid}`, plan.shares));
  try {
    // The container is given the VM's whole share tree, as the agent sees it: everything the host
    // exposed to this VM is in there, and nothing else (besides the shares, the VM's own stdio
    // ring: a file runm made for it, docs/WIRE.md "Bulk ring").
    const spec = generateSpec({
      args: [
        "sh",
        "-c",
        "cat /root/.bashrc; find /shares -maxdepth 2 | sort; grep -r do-not-share /shares/ro/m0 /shares/rw; echo searched",
      ],
      rootfs: plan.rootfs,
      binds: [
        { source: GUEST_SHARE_ROOT, destination: "/shares", readOnly: true },
        ...plan.mounts.map((m) => ({
          source: m.source as string,
          destination: m.destination,
          readOnly: true,
        })),
      ],
    });
    await sandbox.mount(plan.guestMounts);
    await sandbox.agent.create("c", spec, { rootfs: plan.rootfs });
    let out = "";
    const read = (async () => {
      for await (const c of sandbox.agent.output({ containerId: "c" })) out += new TextDecoder().decode(c);
    })();
    await sandbox.agent.start({ containerId: "c" });
    await sandbox.agent.wait({ containerId: "c" });
    await read;
    expect(out.split("\n")).toEqual([
      "alias ll='ls -l'",
      "/shares",
      "/shares/ro",
      "/shares/ro/l0",
      "/shares/ro/m0",
      "/shares/rw",
      "/shares/rw/.stdio-ring",
      "searched",
      "",
    ]);
  } finally {
    await sandbox.shutdown();
  }
});

test("promise 4: guest root cannot leave a setuid-root file or a device node on a writable share", async () => {
  const vol = join(work, "vol");
  mkdirSync(vol);
  const r = await vmRun(
    ["-v", `${vol}:/vol`],
    [
      "sh",
      "-c",
      "cp /bin/busybox /vol/suid && chmod 4755 /vol/suid && mknod /vol/null c 1 3; ls -ln /vol/suid | cut -c1-10",
    ],
  );
  // Inside, the container sees what it asked for (mapped ownership)...
  expect(r.stdout.trim().split("\n").at(-1)).toBe("-rwsr-xr-x");
  // ...on the host, a plain file of the VMM's user without the setuid bit; no device node.
  const st = lstatSync(join(vol, "suid"));
  expect(st.mode & 0o4000).toBe(0);
  expect(st.uid).toBe(lookupUser("runm-vmm")?.uid as number);
  const dev = readdirSync(vol).includes("null") ? lstatSync(join(vol, "null")) : undefined;
  expect(dev?.isCharacterDevice() ?? false).toBe(false);
});

test("ownership stays right inside the container: uid 1000 writes a rw bind and sees its own file", async () => {
  const vol = join(work, "shared");
  mkdirSync(vol);
  chmodSync(vol, 0o777);
  const r = await vmRun(
    ["-u", "1000:1000", "-v", `${vol}:/data`],
    ["sh", "-c", "echo mine > /data/f && echo again >> /data/f && stat -c '%u:%g %a' /data/f && cat /data/f"],
  );
  expect(r.stdout).toBe("1000:1000 644\nmine\nagain\n");
  expect(readFileSync(join(vol, "f"), "utf8")).toBe("mine\nagain\n");
});

test("promise 6: a hostile root container cannot reach the agent, its channel, the shares or the host", async () => {
  const ro = join(work, "ro");
  mkdirSync(ro);
  const script = [
    // the agent's channel device and the agent itself are not in the container's view
    "ls /dev | grep -c vport",
    "ps -o comm | grep -c runm-agent",
    "cat /proc/*/environ 2>/dev/null | grep -c RUNM_LOG_LEVEL",
    // a share device cannot be mounted again (no CAP_SYS_ADMIN)
    "mkdir -p /mnt/x && mount -t 9p runm-rw /mnt/x 2>/dev/null && echo MOUNTED || echo mount-refused",
    // a read-only mount stays read-only
    "touch /ro/x 2>/dev/null && echo RO-WRITTEN || echo ro-refused",
    // no host-loopback port was given: nothing answers, neither via the stand-in nor the gateway
    "nc -w 2 10.0.2.100 22 </dev/null 2>/dev/null && echo REACHED || echo unreachable",
    "nc -w 2 10.0.2.2 22 </dev/null 2>/dev/null && echo REACHED || echo unreachable",
  ].join("; ");
  const r = await vmRun(["-v", `${ro}:/ro:ro`], ["sh", "-c", script]);
  expect(r.stdout.trim().split("\n")).toEqual([
    "0",
    "0",
    "0",
    "mount-refused",
    "ro-refused",
    "unreachable",
    "unreachable",
  ]);
});
