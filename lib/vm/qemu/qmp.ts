// A minimal QMP client (QEMU Machine Protocol: JSON lines over the -qmp unix socket): greeting,
// qmp_capabilities, then one command per call. Events are skipped.
import { createConnection, type Socket } from "node:net";
import { unavailable } from "../../errors.ts";

function open(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const sock = createConnection(path);
    sock.once("connect", () => resolve(sock));
    sock.once("error", reject);
  });
}

export class Qmp {
  private buf = "";
  private waiters: { resolve: (msg: Record<string, unknown>) => void; reject: (e: Error) => void }[] = [];

  private constructor(private readonly sock: Socket) {
    sock.once("close", () => {
      for (const w of this.waiters.splice(0)) w.reject(unavailable("QMP connection closed"));
    });
    sock.setEncoding("utf8");
    sock.on("data", (chunk: string) => {
      this.buf += chunk;
      for (let i = this.buf.indexOf("\n"); i >= 0; i = this.buf.indexOf("\n")) {
        const line = this.buf.slice(0, i).trim();
        this.buf = this.buf.slice(i + 1);
        if (!line) continue;
        const msg = JSON.parse(line) as Record<string, unknown>;
        if ("event" in msg) continue;
        this.waiters.shift()?.resolve(msg);
      }
    });
  }

  private next(): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      if (this.sock.destroyed) return reject(unavailable("QMP connection closed"));
      this.waiters.push({ resolve, reject });
    });
  }

  /**
   * Connect, retrying while the socket is not there yet (QEMU makes it early in its start) unless
   * `gone()` says QEMU exited; at most `timeoutMs`.
   */
  static async connect(path: string, gone: () => boolean = () => false, timeoutMs = 10_000): Promise<Qmp> {
    const deadline = Date.now() + timeoutMs;
    let sock: Socket | undefined;
    // Every start waits here for QEMU's socket (≈ 0.17 s after launch): a retry every 10 ms at
    // most, since a 50 ms backoff came up to 40 ms late, and a failed connect costs nothing.
    for (let wait = 2; !sock; wait = Math.min(wait * 2, 10)) {
      try {
        sock = await open(path);
      } catch (e) {
        if (gone() || Date.now() > deadline) throw unavailable(`cannot reach QMP at ${path}`, { cause: e });
        await Bun.sleep(wait);
      }
    }
    const qmp = new Qmp(sock);
    await qmp.next(); // greeting
    await qmp.execute("qmp_capabilities");
    return qmp;
  }

  async execute(command: string, args?: Record<string, unknown>): Promise<unknown> {
    const reply = this.next();
    this.sock.write(
      `${JSON.stringify(args ? { execute: command, arguments: args } : { execute: command })}\n`,
    );
    const msg = await reply;
    if ("error" in msg) throw unavailable(`QMP ${command} failed: ${JSON.stringify(msg.error)}`);
    return msg.return;
  }

  /** Poll query-migrate until it completes (a template's state is small: milliseconds). */
  async migrationDone(what: string, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (let wait = 1; ; wait = Math.min(wait * 2, 20)) {
      const r = (await this.execute("query-migrate")) as { status?: string; "error-desc"?: string };
      if (r.status === "completed") return;
      if (r.status === "failed" || r.status === "cancelled" || Date.now() > deadline)
        throw unavailable(
          `${what} ${r.status ?? "did not finish"}: ${r["error-desc"] ?? "see the VM's qemu.log"}`,
        );
      await Bun.sleep(wait);
    }
  }

  close(): void {
    this.sock.destroy();
  }
}
