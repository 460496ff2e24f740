// The channel pieces that do not need a VM: port discovery on a fake sysfs, sockaddr_vm layout,
// and a whole gRPC session over a pipe-like FdDuplex (what a virtio-serial port is), with the
// unary round trip and streaming rate measured under Bun.
import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, openSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AgentClient } from "../../lib/agent-client/index.ts";
import { AGENT_PORT_NAME } from "../../lib/constants.ts";
import { isRunmError } from "../../lib/errors.ts";
import { check, libc, socketPair } from "../../lib/sys/libc.ts";
import { EventBus } from "../events.ts";
import { Runc } from "../runc.ts";
import { grpcEndpoint } from "../server/serve.ts";
import { AgentService } from "../service.ts";
import { FileWatcher } from "../sys/inotify.ts";
import { Reaper } from "../sys/reaper.ts";
import { autoTransports, VIRTIO_ID_CONSOLE, VIRTIO_ID_VSOCK, virtioDeviceIds } from "./auto.ts";
import { FdDuplex } from "./fd-duplex.ts";
import { findVirtioPort, VirtioSerialTransport } from "./virtio-serial.ts";
import { AF_VSOCK, sockaddrVm, VsockTransport } from "./vsock.ts";

const TIOCSPTLCK = 0x40045431;
const TIOCGPTN = 0x80045430;
const dir = mkdtempSync(join(tmpdir(), "runm-transport-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("finds the virtio-serial port by its name", () => {
  const sys = join(dir, "sys");
  for (const [port, name] of [
    ["vport0p0", "other"],
    ["vport0p1", AGENT_PORT_NAME],
  ] as const) {
    mkdirSync(join(sys, port), { recursive: true });
    writeFileSync(join(sys, port, "name"), `${name}\n`);
  }
  expect(findVirtioPort(AGENT_PORT_NAME, sys, "/dev")).toBe("/dev/vport0p1");
  expect(findVirtioPort("missing", sys)).toBeUndefined();
  expect(findVirtioPort(AGENT_PORT_NAME, join(dir, "nope"))).toBeUndefined();
});

test("sockaddr_vm layout", () => {
  const a = new DataView(sockaddrVm(1024).buffer);
  expect(a.byteLength).toBe(16);
  expect(a.getUint16(0, true)).toBe(AF_VSOCK);
  expect(a.getUint32(4, true)).toBe(1024);
  expect(a.getUint32(8, true)).toBe(0xffffffff);
});

test("a gRPC session over an FdDuplex (a socket pair): round trip", async () => {
  // The agent's end and the host's end of one socket pair; a unix socket bridges the client to
  // the host end, as QEMU's chardev bridges the host socket to the guest's port.
  const [agentFd, hostFd] = socketPair();
  const reaper = new Reaper();
  const svc = new AgentService(
    {
      runc: new Runc({ binary: "runc", root: join(dir, "r"), logDir: join(dir, "l"), reaper }),
      reaper,
      events: new EventBus(),
      files: new FileWatcher(),
      stateDir: dir,
    },
    { uptimeAtStartMs: 1, uptimeAtReadyMs: 2 },
  );
  const endpoint = grpcEndpoint(svc);
  endpoint.inject(new FdDuplex(agentFd, agentFd));
  const hostEnd = new FdDuplex(hostFd, hostFd);
  const sock = join(dir, "bridge.sock");
  const bridge = createServer((c) => {
    c.pipe(hostEnd);
    hostEnd.pipe(c);
  });
  await new Promise<void>((r) => bridge.listen(sock, r));
  const client = new AgentClient(sock);
  try {
    expect((await client.hello(5000)).uptimeAtReadyMs).toBe(2);
    const n = 200;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await client.hello();
    const rtt = (performance.now() - t0) / n;
    console.log(`unary round trip over pipes: ${rtt.toFixed(3)} ms`);
    expect(rtt).toBeLessThan(50);
  } finally {
    client.close();
    endpoint.close();
    hostEnd.destroy();
    bridge.close();
  }
});

test("the vsock listener binds a real AF_VSOCK port (a second bind on it is refused)", async () => {
  // No vsock loopback transport on these hosts, so no connection: binding is what can be checked.
  const port = 40_000 + (process.pid % 20_000);
  const a = new VsockTransport(port);
  await a.start(() => {});
  const b = new VsockTransport(port);
  try {
    await expect(b.start(() => {})).rejects.toThrow(/bind\(vsock port \d+\).*Address already in use/);
  } finally {
    await b.close();
    await a.close();
  }
  // Closed: the port is free again.
  const c = new VsockTransport(port);
  await c.start(() => {});
  await c.close();
});

test("auto serves the channels the VM has: virtio-serial, vsock or both", () => {
  const bus = join(dir, "bus");
  const names = (ids: Set<number>) => autoTransports(ids).map((t) => t.name);
  for (const [dev, id] of [
    ["virtio0", "0x0002"],
    ["virtio1", "0x0003"],
    ["virtio2", "0x0013"],
  ] as const) {
    mkdirSync(join(bus, dev), { recursive: true });
    writeFileSync(join(bus, dev, "device"), `${id}\n`);
  }
  expect([...virtioDeviceIds(bus)].sort((a, b) => a - b)).toEqual([2, VIRTIO_ID_CONSOLE, VIRTIO_ID_VSOCK]);
  // Each kind of channel carries both of the agent's: its RPC port and its stdio port.
  const serial = ["virtio-serial:runm.agent", "virtio-serial:runm.stdio"];
  const vsock = ["vsock:1024", "vsock:1025"];
  expect(names(new Set([2, VIRTIO_ID_CONSOLE]))).toEqual(serial);
  expect(names(new Set([VIRTIO_ID_VSOCK]))).toEqual(vsock);
  expect(names(new Set([VIRTIO_ID_CONSOLE, VIRTIO_ID_VSOCK]))).toEqual([...serial, ...vsock]);
  expect(names(new Set())).toEqual(serial);
});

test("a gRPC session over a found 'virtio-serial port' (a raw pty slave stands in for /dev/vportNpM)", async () => {
  // The host end is the pty master, bridged to a unix socket as QEMU's chardev would be.
  const master = openSync("/dev/ptmx", "r+");
  check("unlockpt", libc().ioctl(master, TIOCSPTLCK, new Int32Array([0])));
  const n = new Int32Array(1);
  check("ptsname", libc().ioctl(master, TIOCGPTN, n));
  const slave = `/dev/pts/${n[0]}`;
  expect(Bun.spawnSync(["stty", "-F", slave, "raw", "-echo"]).exitCode).toBe(0);
  const sys = join(dir, "vsys");
  mkdirSync(join(sys, "vport1p1"), { recursive: true });
  writeFileSync(join(sys, "vport1p1", "name"), `${AGENT_PORT_NAME}\n`);
  const devDir = join(dir, "vdev");
  mkdirSync(devDir);
  symlinkSync(slave, join(devDir, "vport1p1"));

  const reaper = new Reaper();
  const svc = new AgentService(
    {
      runc: new Runc({ binary: "runc", root: join(dir, "r2"), logDir: join(dir, "l2"), reaper }),
      reaper,
      events: new EventBus(),
      files: new FileWatcher(),
      stateDir: dir,
    },
    { uptimeAtStartMs: 1, uptimeAtReadyMs: 3 },
  );
  const endpoint = grpcEndpoint(svc);
  const transport = new VirtioSerialTransport(AGENT_PORT_NAME, "rpc", 1000, sys, devDir);
  await transport.start((s) => endpoint.inject(s));
  const hostEnd = new FdDuplex(master, master);
  const sock = join(dir, "chardev.sock");
  const bridge = createServer((c) => {
    c.pipe(hostEnd);
    hostEnd.pipe(c);
  });
  await new Promise<void>((r) => bridge.listen(sock, r));
  const client = new AgentClient(sock);
  try {
    expect((await client.hello(5000)).uptimeAtReadyMs).toBe(3);
    const big = await client.stats("nope").catch((e) => e);
    expect(isRunmError(big, "NotFound")).toBe(true);
  } finally {
    client.close();
    await transport.close();
    endpoint.close();
    hostEnd.destroy();
    bridge.close();
  }
});

test("virtio-serial: a port that reads end of file (no host) is reopened, with backoff", async () => {
  // /dev/null reads EOF at once, like a port whose host side is not connected.
  const sys = join(dir, "nsys");
  mkdirSync(join(sys, "vport2p1"), { recursive: true });
  writeFileSync(join(sys, "vport2p1", "name"), `${AGENT_PORT_NAME}\n`);
  const devDir = join(dir, "ndev");
  mkdirSync(devDir);
  symlinkSync("/dev/null", join(devDir, "vport2p1"));
  const transport = new VirtioSerialTransport(AGENT_PORT_NAME, "rpc", 1000, sys, devDir);
  const opened: number[] = [];
  const t0 = Date.now();
  await transport.start((s) => {
    opened.push(Date.now() - t0);
    s.resume(); // consume, so the end of file is seen
  });
  await Bun.sleep(1500);
  await transport.close();
  const n = opened.length;
  await Bun.sleep(600);
  expect(opened.length).toBe(n); // closed: no more reopening
  // 10, 20, 40, ... 500 ms apart: several reopens, far fewer than a busy loop would make.
  expect(n).toBeGreaterThanOrEqual(4);
  expect(n).toBeLessThanOrEqual(12);
  const gaps = opened.slice(1).map((t, i) => t - (opened[i] ?? 0));
  expect(gaps.at(-1) ?? 0).toBeGreaterThan(gaps[0] ?? 0);
});
