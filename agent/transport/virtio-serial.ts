// The QEMU channel: a virtio-serial port named AGENT_PORT_NAME. Its /dev/vportNpM node appears a
// few ms after the driver binds, so the name is polled under /sys/class/virtio-ports. When the
// host side disconnects the port reads end of file; the agent then reopens it and serves a fresh
// HTTP/2 session to the next host connection.
import { openSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Duplex } from "node:stream";
import { AGENT_PORT_NAME } from "../../lib/constants.ts";
import { unavailable } from "../../lib/errors.ts";
import { logger } from "../../lib/log.ts";
import { FdDuplex } from "./fd-duplex.ts";
import type { Transport } from "./types.ts";

const log = logger("agent");
const FIND_POLL_MS = 5;
const REOPEN_DELAY_MS = 20;
// While no host is connected the port reads end of file at once; back off up to this.
const REOPEN_MAX_DELAY_MS = 500;
const SHORT_SESSION_MS = 200;

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
  readonly name = `virtio-serial:${AGENT_PORT_NAME}`;
  private current: Duplex | undefined;
  private closing = false;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly findTimeoutMs = 5000,
    /** For tests: where the port list and device nodes are. */
    private readonly sysDir?: string,
    private readonly devDir?: string,
  ) {}

  async start(serve: (stream: Duplex) => void): Promise<void> {
    const dev = await waitForVirtioPort(AGENT_PORT_NAME, this.findTimeoutMs, this.sysDir, this.devDir);
    log.debug(`agent channel ${dev}`);
    let delay = REOPEN_DELAY_MS / 2;
    const open = () => {
      if (this.closing) return;
      const fd = openSync(dev, "r+");
      const stream = new FdDuplex(fd, fd);
      this.current = stream;
      const openedAt = Date.now();
      stream.on("close", () => {
        delay =
          Date.now() - openedAt < SHORT_SESSION_MS
            ? Math.min(delay * 2, REOPEN_MAX_DELAY_MS)
            : REOPEN_DELAY_MS;
        this.timer = setTimeout(open, delay);
      });
      stream.on("end", () => stream.destroy());
      stream.on("error", (e) => log.debug(`channel: ${e.message}`));
      serve(stream);
    };
    open();
  }

  async close(): Promise<void> {
    this.closing = true;
    clearTimeout(this.timer);
    this.current?.destroy();
  }
}
