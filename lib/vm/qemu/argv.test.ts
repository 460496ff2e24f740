import { expect, test } from "bun:test";
import type { VmConfig } from "../vm-interface.ts";
import { kernelCmdline, type QemuPaths, qemuArgv } from "./argv.ts";

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
    { tag: "rootfs", hostPath: "/srv/root", readOnly: false },
    { tag: "v0", hostPath: "/srv/data", readOnly: true },
  ],
  ports: [{ hostPort: 8080, guestPort: 80 }],
  console: "file",
};
const paths: QemuPaths = {
  consoleLog: "/r/console.log",
  pidfile: "/r/vmm.pid",
  agentSocket: "/r/agent.sock",
  qmpSocket: "/r/qmp.sock",
  fsSockets: { rootfs: "/r/fs-rootfs.sock", v0: "/r/fs-v0.sock" },
};
const line = {
  qemu: "/usr/bin/qemu-system-x86_64",
  accel: "tcg" as const,
  tscKhz: 2095996,
  runmWords: ["runm.mode=agent"],
};

/** The values following each occurrence of a flag. */
const values = (argv: string[], flag: string) => argv.flatMap((a, i) => (a === flag ? [argv[i + 1]] : []));

test("the microvm TCG line with 9p shares, serial agent port, read-only mbin disk and restricted net", () => {
  const argv = qemuArgv(config, paths, line);
  expect(argv[0]).toBe(line.qemu);
  expect(values(argv, "-accel")).toEqual(["tcg"]);
  expect(values(argv, "-cpu")).toEqual(["max"]);
  expect(values(argv, "-machine")).toEqual(["microvm"]);
  expect(values(argv, "-smp")).toEqual(["2"]);
  expect(values(argv, "-m")).toEqual(["256M"]);
  for (const f of ["-nodefaults", "-no-user-config", "-nographic", "-no-reboot"]) expect(argv).toContain(f);
  expect(values(argv, "-append")).toEqual([
    "console=ttyS0 panic=-1 reboot=t tsc_early_khz=2095996 runm.mode=agent",
  ]);
  expect(argv).not.toContain("-pidfile"); // runm writes vmm.pid itself, atomically, at spawn
  expect(values(argv, "-chardev")).toEqual([
    "file,id=con,path=/r/console.log",
    "socket,id=agent,path=/r/agent.sock,server=on,wait=off",
  ]);
  expect(values(argv, "-drive")).toEqual(["if=none,id=mbin,file=/k/mbin.squashfs,format=raw,readonly=on"]);
  expect(values(argv, "-fsdev")).toEqual([
    "local,id=fs0,path=/srv/root,security_model=passthrough",
    "local,id=fs1,path=/srv/data,security_model=passthrough,readonly=on",
  ]);
  expect(values(argv, "-netdev")).toEqual(["user,id=net0,restrict=on,hostfwd=tcp:127.0.0.1:8080-:80"]);
  expect(values(argv, "-device")).toEqual([
    "virtio-serial-device",
    "virtserialport,chardev=agent,name=runm.agent",
    "virtio-blk-device,drive=mbin",
    "virtio-9p-device,fsdev=fs0,mount_tag=rootfs",
    "virtio-9p-device,fsdev=fs1,mount_tag=v0",
    "virtio-net-device,netdev=net0",
    "virtio-rng-device",
  ]);
  expect(argv).not.toContain("-object");
});

test("virtio-fs shares add the shared memfd backend, modern mmio and vhost-user-fs devices", () => {
  const argv = qemuArgv({ ...config, shareKind: "virtiofs" }, paths, line);
  expect(values(argv, "-object")).toEqual(["memory-backend-memfd,id=mem,size=256M,share=on"]);
  expect(values(argv, "-numa")).toEqual(["node,memdev=mem"]);
  expect(values(argv, "-global")).toEqual(["virtio-mmio.force-legacy=false"]);
  expect(values(argv, "-device")).toContain("vhost-user-fs-device,chardev=vfs1,tag=v0");
  expect(values(argv, "-chardev")).toContain("socket,id=vfs0,path=/r/fs-rootfs.sock");
  expect(argv).not.toContain("-fsdev");
});

test("KVM uses the host CPU; a terminal console is muxed with the monitor and logged", () => {
  const argv = qemuArgv({ ...config, console: "terminal" }, paths, { ...line, accel: "kvm" });
  expect(values(argv, "-cpu")).toEqual(["host"]);
  expect(values(argv, "-chardev")[0]).toBe("stdio,id=con,mux=on,signal=off,logfile=/r/console.log");
  expect(values(argv, "-mon")).toEqual(["chardev=con,mode=readline"]);
});

test("no tsc_early_khz when the host frequency is unknown", () => {
  expect(kernelCmdline({ ...line, tscKhz: null })).toBe("console=ttyS0 panic=-1 reboot=t runm.mode=agent");
});

test("host loopback ports: one guestfwd rule each, on the spare address, restrict=on kept", () => {
  const argv = qemuArgv({ ...config, ports: [], hostLoopbackPorts: [8081, 9000] }, paths, line);
  expect(values(argv, "-netdev")).toEqual([
    "user,id=net0,restrict=on" +
      ",guestfwd=tcp:10.0.2.100:8081-cmd:socat STDIO TCP:127.0.0.1:8081" +
      ",guestfwd=tcp:10.0.2.100:9000-cmd:socat STDIO TCP:127.0.0.1:9000",
  ]);
});
