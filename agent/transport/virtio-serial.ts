// The QEMU channel: a virtio-serial port named AGENT_PORT_NAME. Its /dev/vportNpM node appears a
// few ms after the driver binds, so the name is polled under /sys/class/virtio-ports (at boot
// only). When the host side disconnects the port reads end of file; the agent then reopens it and
// serves a fresh HTTP/2 session once the next host connects.
import { openSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Duplex } from "node:stream";
import { AGENT_PORT_NAME } from "../../lib/constants.ts";
import { unavailable } from "../../lib/errors.ts";
import { logger } from "../../lib/log.ts";
import { closeFd, hungUp } from "../../lib/sys/libc.ts";
import { awaitReadiness, type ReadinessWait, setSignalDriven } from "../../lib/sys/readiness.ts";
import { FdDuplex } from "./fd-duplex.ts";
import type { ChannelKind, Serve, Transport } from "./types.ts";

const log = logger("agent");
const FIND_POLL_MS = 5;
/**
 * A session that ends this soon while the port claimed a host was connected (not a real virtio
 * port: a test's stand-in, or a host that connects and drops at once) is followed by a backoff,
 * 10 ms doubling to 500 ms, so a port that reads end of file at once can never spin.
 */
const SHORT_SESSION_MS = 200;
const BACKOFF_MIN_MS = 10;
const BACKOFF_MAX_MS = 500;

/** /dev path of the virtio-serial port called `name`, or undefined. */
export function findVirtioPort(
  name: string,
  sysDir = "/sys/class/virtio-ports",
  devDir = "/dev",
): string | undefined {
  let entries: string[];
  try {
    entries = readdirSync(sysDir);
  } catch {
    return undefined;
  }
  for (const port of entries.sort()) {
    try {
      if (readFileSync(join(sysDir, port, "name"), "utf8").trim() === name) return join(devDir, port);
    } catch {
      // name not written yet
    }
  }
  return undefined;
}

export async function waitForVirtioPort(name: string, timeoutMs: number, sysDir?: string, devDir?: string) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const dev = findVirtioPort(name, sysDir, devDir);
    if (dev) return dev;
    if (Date.now() > deadline) {
      throw unavailable(`no virtio-serial port named ${name} after ${timeoutMs} ms`, {
        hint: `start QEMU with -device virtserialport,name=${name}`,
      });
    }
    await Bun.sleep(FIND_POLL_MS);
  }
}

export class VirtioSerialTransport implements Transport {
  readonly name: string;
  private current: Duplex | undefined;
  private closing = false;
  private waiting: ReadinessWait | undefined;

  constructor(
    private readonly portName = AGENT_PORT_NAME,
    private readonly kind: ChannelKind = "rpc",
    private readonly findTimeoutMs = 5000,
    /** For tests: where the port list and device nodes are. */
    private readonly sysDir?: string,
    private readonly devDir?: string,
  ) {
    this.name = `virtio-serial:${portName}`;
  }

  async start(serve: Serve): Promise<void> {
    const dev = await waitForVirtioPort(this.portName, this.findTimeoutMs, this.sysDir, this.devDir);
    log.debug(`agent channel ${dev}`);
    void this.sessions(dev, serve).catch((e) => log.error(`agent channel ${dev}: ${String(e)}`));
  }

  /**
   * One HTTP/2 session per host connection, forever. While no host is connected the port reports a
   * hang-up (and reads end of file at once), so the next session waits for the kernel's SIGIO at
   * the host's connect: an idle guest (or a template being snapshotted) runs nothing meanwhile.
   */
  private async sessions(dev: string, serve: Serve): Promise<void> {
    let backoff = 0;
    while (!this.closing) {
      if (backoff) {
        this.waiting = awaitReadiness(backoff);
        await this.waiting.promise;
        if (this.closing) return;
      }
      const fd = openSync(dev, "r+");
      setSignalDriven(fd);
      while (!this.closing && hungUp(fd)) {
        this.waiting = awaitReadiness();
        await this.waiting.promise;
      }
      if (this.closing) {
        closeFd(fd);
        return;
      }
      const stream = new FdDuplex(fd, fd);
      this.current = stream;
      const ended = new Promise((r) => stream.once("close", r));
      stream.on("end", () => stream.destroy());
      stream.on("error", (e) => log.debug(`channel: ${e.message}`));
      const began = Date.now();
      serve(stream, this.kind);
      await ended;
      const short = Date.now() - began < SHORT_SESSION_MS;
      backoff = short ? Math.min(Math.max(backoff * 2, BACKOFF_MIN_MS), BACKOFF_MAX_MS) : 0;
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    this.waiting?.wake();
    this.current?.destroy();
  }
}
