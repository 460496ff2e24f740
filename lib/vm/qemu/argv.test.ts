import { expect, test } from "bun:test";
import type { VmConfig } from "../vm-interface.ts";
import { cpuArg, kernelCmdline, type QemuPaths, qemuArgv, qemuValue } from "./argv.ts";
import { QemuDriver } from "./driver.ts";

const config: VmConfig = {
  id: "t1",
  arch: "x86_64",
  kernel: "/k/vmlinux",
  initrd: "/k/initramfs.cpio.gz",
  mbinDisk: "/k/mbin.squashfs",
  mode: "agent",
  cpus: 2,
  memoryMiB: 256,
  shares: [
    { name: "rootfs", hostPath: "/srv/root", readOnly: false },
    { name: "v0", hostPath: "/srv/data", readOnly: true },
  ],
  ports: [{ hostPort: 8080, guestPort: 80 }],
  console: "file",
};
const paths: QemuPaths = {
  kernel: "/guest/kernel",
  initrd: "/guest/initrd",
  mbinDisk: "/guest/mbin",
  consoleLog: "/vm/console.log",
  agentSocket: "/sock/agent.sock",
  qmpSocket: "/sock/qmp.sock",
  fsSocket: "/sock/fs.sock",
  shareRoot: "/share",
  memoryFile: "/template/memory",
};
const line = {
  qemu: "/usr/bin/qemu-system-x86_64",
  accel: "tcg" as const,
  tscKhz: 2095996,
  runmWords: ["runm.mode=agent"],
  sandbox: true,
};

/** The values following each occurrence of a flag. */
const values = (argv: string[], flag: string) => argv.flatMap((a, i) => (a === flag ? [argv[i + 1]] : []));

test("the microvm TCG line: two 9p share devices, serial agent port, read-only mbin disk, restricted net, seccomp", () => {
  const argv = qemuArgv(config, paths, line);
  expect(argv[0]).toBe(line.qemu);
  expect(values(argv, "-accel")).toEqual(["tcg"]);
  // Without the byte-wise string copies that TCG runs one byte per step (lib/vm/qemu/argv.ts cpuArg).
  expect(values(argv, "-cpu")).toEqual(["max,erms=off,fsrm=off"]);
  expect(values(argv, "-machine")).toEqual(["microvm"]);
  expect(values(argv, "-smp")).toEqual(["2"]);
  expect(values(argv, "-m")).toEqual(["256M"]);
  for (const f of ["-nodefaults", "-no-user-config", "-nographic", "-no-reboot"]) expect(argv).toContain(f);
  expect(values(argv, "-sandbox")).toEqual([
    "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny",
  ]);
  expect(values(argv, "-append")).toEqual([
    "console=ttyS0 panic=-1 reboot=t tsc_early_khz=2095996 runm.mode=agent",
  ]);
  expect(argv).not.toContain("-pidfile"); // runm writes vmm.pid itself, atomically, at spawn
  expect(values(argv, "-kernel")).toEqual(["/guest/kernel"]);
  expect(values(argv, "-chardev")).toEqual([
    "file,id=con,path=/vm/console.log",
    "socket,id=agent,path=/sock/agent.sock,server=on,wait=off",
    "socket,id=stdio,path=/sock/agent.sock.stdio,server=on,wait=off",
  ]);
  expect(values(argv, "-drive")).toEqual(["if=none,id=mbin,file=/guest/mbin,format=raw,readonly=on"]);
  // The same two devices whatever the shares: jail.ts stages each share inside them.
  expect(values(argv, "-fsdev")).toEqual([
    "local,id=fsro,path=/share/ro,security_model=passthrough,readonly=on,multidevs=remap",
    "local,id=fsrw,path=/share/rw,security_model=mapped-xattr,multidevs=remap",
  ]);
  expect(qemuArgv({ ...config, shares: [] }, paths, line)).toEqual(argv);
  expect(values(argv, "-netdev")).toEqual(["user,id=net0,restrict=on,hostfwd=tcp:127.0.0.1:8080-:80"]);
  expect(values(argv, "-device")).toEqual([
    "virtio-serial-device",
    "virtserialport,chardev=agent,name=runm.agent",
    "virtserialport,chardev=stdio,name=runm.stdio",
    "virtio-blk-device,drive=mbin",
    "virtio-9p-device,fsdev=fsro,mount_tag=runm-ro",
    "virtio-9p-device,fsdev=fsrw,mount_tag=runm-rw",
    "virtio-net-device,netdev=net0",
    "virtio-rng-device",
  ]);
  expect(argv).not.toContain("-object");
});

test("passthrough ownership puts the writable device in passthrough", () => {
  const argv = qemuArgv({ ...config, shareOwnership: "passthrough" }, paths, line);
  expect(values(argv, "-fsdev")[1]).toBe(
    "local,id=fsrw,path=/share/rw,security_model=passthrough,multidevs=remap",
  );
});

test("templates: guest RAM in a file, shared while the template boots, private in every restored clone", () => {
  const t = qemuArgv({ ...config, boot: { kind: "template", memoryFile: "/m" } }, paths, line);
  expect(values(t, "-object")).toEqual([
    "memory-backend-file,id=mem,size=256M,mem-path=/template/memory,share=on",
  ]);
  expect(values(t, "-machine")).toEqual(["microvm,memory-backend=mem"]);
  expect(t).not.toContain("-incoming");
  const r = qemuArgv(
    { ...config, boot: { kind: "restore", memoryFile: "/m", stateFile: "/s" } },
    paths,
    line,
  );
  expect(values(r, "-object")).toEqual([
    "memory-backend-file,id=mem,size=256M,mem-path=/template/memory,share=off",
  ]);
  expect(values(r, "-incoming")).toEqual(["defer"]);
  // Apart from those, a clone's line is its template's: the device set must match.
  const strip = (a: string[]) =>
    a.filter(
      (x, i) => !["-object", "-incoming"].includes(x) && !["-object", "-incoming"].includes(a[i - 1] ?? ""),
    );
  expect(strip(r)).toEqual(strip(t));
});

test("virtio-fs: one vhost-user-fs device over both share dirs, RAM in a shared memfd", () => {
  const argv = qemuArgv({ ...config, shareKind: "virtiofs" }, paths, line);
  expect(values(argv, "-object")).toEqual(["memory-backend-memfd,id=mem,size=256M,share=on"]);
  expect(values(argv, "-global")).toEqual(["virtio-mmio.force-legacy=false"]);
  expect(values(argv, "-device")).toContain("vhost-user-fs-device,chardev=vfs,tag=runm");
  expect(values(argv, "-chardev")).toContain("socket,id=vfs,path=/sock/fs.sock");
  expect(argv).not.toContain("-fsdev");
});

test("KVM uses the host CPU; a terminal console is muxed with the monitor and logged", () => {
  const argv = qemuArgv({ ...config, console: "terminal" }, paths, { ...line, accel: "kvm" });
  expect(values(argv, "-cpu")).toEqual(["host"]);
  expect(values(argv, "-chardev")[0]).toBe("stdio,id=con,mux=on,signal=off,logfile=/vm/console.log");
  expect(values(argv, "-mon")).toEqual(["chardev=con,mode=readline"]);
});

test("no tsc_early_khz when the host frequency is unknown", () => {
  expect(kernelCmdline("x86_64", { ...line, tscKhz: null })).toBe(
    "console=ttyS0 panic=-1 reboot=t runm.mode=agent",
  );
});

test("an arm64 guest: the same devices on -M virt, the PL011 console, TCG's cheap pointer auth, no TSC", () => {
  const arm = { ...config, arch: "arm64" as const };
  const armLine = { ...line, qemu: "/usr/bin/qemu-system-aarch64" };
  const argv = qemuArgv(arm, paths, armLine);
  expect(values(argv, "-machine")).toEqual(["virt"]);
  expect(values(argv, "-cpu")).toEqual(["max,pauth-impdef=on"]);
  expect(values(argv, "-append")).toEqual(["console=ttyAMA0 panic=-1 reboot=t runm.mode=agent"]);
  // Every device is the x86_64 line's: the guest finds its channels, disk and shares the same way.
  expect(values(argv, "-device")).toEqual(values(qemuArgv(config, paths, line), "-device"));
  const restore = qemuArgv(
    { ...arm, boot: { kind: "restore", memoryFile: "/m", stateFile: "/s" } },
    paths,
    armLine,
  );
  expect(values(restore, "-machine")).toEqual(["virt,memory-backend=mem"]);
  expect(values(qemuArgv(arm, paths, { ...armLine, accel: "kvm" }), "-cpu")).toEqual(["host"]);
});

test("values in QEMU options are escaped: a comma doubles, so a path cannot add options; NUL and newline are refused", () => {
  expect(qemuValue("/a,path=/,b")).toBe("/a,,path=/,,b");
  const argv = qemuArgv(config, { ...paths, consoleLog: "/x,path=/etc/shadow" }, line);
  expect(values(argv, "-chardev")[0]).toBe("file,id=con,path=/x,,path=/etc/shadow");
  expect(() => qemuValue("/a\nb")).toThrow(/NUL or newline/);
});

test("a pod network: the tap in the pod's namespace instead of the user-mode network, no forwards", () => {
  const pod = { ...config, ports: [] };
  const argv = qemuArgv(pod, { ...paths, podTap: "runm0" }, line);
  expect(values(argv, "-netdev")).toEqual(["tap,id=net0,ifname=runm0,script=no,downscript=no"]);
  expect(values(argv, "-device")).toContain("virtio-net-device,netdev=net0");
  expect(() => qemuArgv(config, { ...paths, podTap: "runm0" }, line)).toThrow(/no forwarded ports/);
});

test("the driver's identity (part of every template's key) names the CPU model: a guest is never restored on another", async () => {
  for (const arch of ["x86_64", "arm64"] as const) {
    const d = await QemuDriver.create(arch);
    expect(d.identity()).toEndWith(`:${d.accel}:${cpuArg(arch, d.accel)}`);
  }
});
