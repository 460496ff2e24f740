import { expect, test } from "bun:test";
import type { VmConfig } from "../vm-interface.ts";
import { vfkitArgv } from "./argv.ts";
import { exposeRequests, gvproxyArgv } from "./gvproxy.ts";

const config: VmConfig = {
  id: "m1",
  arch: "arm64",
  kernel: "/c/Image",
  initrd: "/c/initramfs.cpio.gz",
  mbinDisk: "/c/mbin.squashfs",
  mode: "agent",
  cpus: 2,
  memoryMiB: 512,
  shares: [
    { name: "rootfs", hostPath: "/Users/u/root", readOnly: false },
    { name: "v0", hostPath: "/Users/u/data", readOnly: true },
  ],
  ports: [{ hostPort: 8080, guestPort: 80 }],
  console: "file",
};
const paths = {
  consoleLog: "/r/console.log",
  pidfile: "/r/vmm.pid",
  agentSocket: "/r/agent.sock",
  netSocket: "/r/net.sock",
};

test("the vfkit argv, exactly", () => {
  expect(vfkitArgv(config, paths, "/opt/homebrew/bin/vfkit", ["runm.mode=agent", "runm.time=1"])).toEqual([
    "/opt/homebrew/bin/vfkit",
    "--cpus",
    "2",
    "--memory",
    "512",
    "--bootloader",
    'linux,kernel=/c/Image,initrd=/c/initramfs.cpio.gz,cmdline="console=hvc0 panic=-1 runm.mode=agent runm.time=1"',
    "--pidfile",
    "/r/vmm.pid",
    "--restful-uri",
    "none",
    "--device",
    "virtio-serial,logFilePath=/r/console.log",
    "--device",
    "virtio-blk,path=/c/mbin.squashfs,readonly",
    "--device",
    "virtio-vsock,port=1024,socketURL=/r/agent.sock,connect",
    "--device",
    "virtio-vsock,port=1025,socketURL=/r/agent.sock.stdio,connect",
    "--device",
    "virtio-fs,sharedDir=/Users/u/root,mountTag=rootfs",
    "--device",
    "virtio-fs,sharedDir=/Users/u/data,mountTag=v0",
    "--device",
    "virtio-net,unixSocketPath=/r/net.sock,mac=5a:94:ef:e4:0c:ee",
    "--device",
    "virtio-rng",
  ]);
});

test("a value vfkit cannot express (a comma, a quote, a newline) is refused, naming it", () => {
  const bad = { ...config, shares: [{ name: "v0", hostPath: "/Users/u/a,b", readOnly: false }] };
  expect(() => vfkitArgv(bad, paths, "vfkit", [])).toThrow(/share v0 "\/Users\/u\/a,b" holds a comma/);
  expect(() => vfkitArgv({ ...config, kernel: '/c/x"y' }, paths, "vfkit", [])).toThrow(/kernel/);
});

test("a terminal console uses vfkit's stdio serial", () => {
  const argv = vfkitArgv({ ...config, console: "terminal" }, paths, "vfkit", []);
  expect(argv).toContain("virtio-serial,stdio");
  expect(argv.join(" ")).not.toContain("logFilePath");
});

test("the gvproxy argv and its port-forward requests, exactly", () => {
  expect(
    gvproxyArgv("/usr/local/bin/gvproxy", {
      netSocket: "/r/net.sock",
      servicesSocket: "/r/gvproxy.sock",
      pidfile: "/r/gvproxy.pid",
      logFile: "/r/gvproxy.log",
    }),
  ).toEqual([
    "/usr/local/bin/gvproxy",
    "-listen-vfkit",
    "unixgram:///r/net.sock",
    "-services",
    "unix:///r/gvproxy.sock",
    "-ssh-port",
    "-1",
    "-pid-file",
    "/r/gvproxy.pid",
    "-log-file",
    "/r/gvproxy.log",
  ]);
  expect(exposeRequests(config.ports)).toEqual([
    { local: "127.0.0.1:8080", remote: "192.168.127.2:80", protocol: "tcp" },
  ]);
});
