// A minimal QMP client (QEMU Machine Protocol: JSON lines over the -qmp unix socket): greeting,
// qmp_capabilities, then one command per call. Events are skipped.
import { createConnection, type Socket } from "node:net";
import { unavailable } from "../../errors.ts";

export class Qmp {
  private buf = "";
  private waiters: ((msg: Record<string, unknown>) => void)[] = [];

  private constructor(private readonly sock: Socket) {
    sock.setEncoding("utf8");
    sock.on("data", (chunk: string) => {
      this.buf += chunk;
      for (let i = this.buf.indexOf("\n"); i >= 0; i = this.buf.indexOf("\n")) {
        const line = this.buf.slice(0, i).trim();
        this.buf = this.buf.slice(i + 1);
        if (!line) continue;
        const msg = JSON.parse(line) as Record<string, unknown>;
        if ("event" in msg) continue;
        this.waiters.shift()?.(msg);
      }
    });
  }

  private next(): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      this.waiters.push(resolve);
      this.sock.once("close", () => reject(unavailable("QMP connection closed")));
    });
  }

  static async connect(path: string, timeoutMs = 5000): Promise<Qmp> {
    const sock = createConnection(path);
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(unavailable(`QMP socket ${path} did not answer`)), timeoutMs);
      sock.once("connect", () => {
        clearTimeout(t);
        resolve();
      });
      sock.once("error", (e) => {
        clearTimeout(t);
        reject(unavailable(`cannot reach QMP at ${path}`, { cause: e }));
      });
    });
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

  close(): void {
    this.sock.destroy();
  }
}
