// `--listen auto` (the guest default): serve every channel the VM has. The virtio device list is
// fixed before /init runs, so it says which exist: a console device (QEMU's virtio-serial, id 3)
// and/or a vsock device (Virtualization.framework, id 19). vfkit may also add a console device
// for its log, so both are served when both exist, and whichever the host uses answers. With no
// virtio device at all (a misconfigured VM), virtio-serial is tried so the error names the port.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { AGENT_PORT_NAME, AGENT_VSOCK_PORT, STDIO_PORT_NAME } from "../../lib/constants.ts";
import { unavailable } from "../../lib/errors.ts";
import { logger } from "../../lib/log.ts";
import type { Serve, Transport } from "./types.ts";
import { VirtioSerialTransport } from "./virtio-serial.ts";
import { VsockTransport } from "./vsock.ts";

const log = logger("agent");
export const VIRTIO_ID_CONSOLE = 3;
export const VIRTIO_ID_VSOCK = 19;

/** Virtio device type ids present (from /sys/bus/virtio/devices/<dev>/device, e.g. "0x0003"). */
export function virtioDeviceIds(sysDir = "/sys/bus/virtio/devices"): Set<number> {
  const ids = new Set<number>();
  let devs: string[] = [];
  try {
    devs = readdirSync(sysDir);
  } catch {
    return ids;
  }
  for (const d of devs) {
    try {
      ids.add(Number.parseInt(readFileSync(join(sysDir, d, "device"), "utf8").trim(), 16));
    } catch {
      // device vanished or unreadable
    }
  }
  return ids;
}

/** The agent's two channels (RPC and stdio) over virtio-serial ports. */
export const virtioSerialPair = (): Transport[] => [
  new VirtioSerialTransport(AGENT_PORT_NAME, "rpc"),
  new VirtioSerialTransport(STDIO_PORT_NAME, "stdio"),
];

/** The agent's two channels over vsock ports `port` and `port + 1`. */
export const vsockPair = (port = AGENT_VSOCK_PORT): Transport[] => [
  new VsockTransport(port, "rpc"),
  new VsockTransport(port + 1, "stdio"),
];

export function autoTransports(ids: Set<number>): Transport[] {
  const out: Transport[] = [];
  if (ids.has(VIRTIO_ID_CONSOLE) || !ids.has(VIRTIO_ID_VSOCK)) out.push(...virtioSerialPair());
  if (ids.has(VIRTIO_ID_VSOCK)) out.push(...vsockPair());
  return out;
}

export class AutoTransport implements Transport {
  readonly name: string;
  private readonly parts: Transport[];

  constructor(ids = virtioDeviceIds(), parts?: Transport[]) {
    this.parts = parts ?? autoTransports(ids);
    this.name = this.parts.map((t) => t.name).join(" + ");
  }

  /** Starts every channel; fails only when none could start. */
  async start(serve: Serve): Promise<void> {
    const results = await Promise.allSettled(this.parts.map((t) => t.start(serve)));
    const failed = results.flatMap((r, i) =>
      r.status === "rejected" ? [`${this.parts[i]?.name}: ${String(r.reason)}`] : [],
    );
    if (failed.length === results.length)
      throw unavailable(`no agent channel could start (${failed.join("; ")})`);
    for (const f of failed) log.warn(`channel not started: ${f}`);
  }

  async close(): Promise<void> {
    await Promise.all(this.parts.map((t) => t.close()));
  }
}
