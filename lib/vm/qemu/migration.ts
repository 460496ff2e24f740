// The receiving end of a template snapshot: QEMU (jailed, unable to spawn) streams its device
// state to a unix socket; this writes it to a temp file and renames it into place once QEMU
// closes the stream, so a half-written state file never exists.
import { createWriteStream, renameSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { unavailable } from "../../errors.ts";

export interface MigrationReceiver {
  /** Resolves once the whole state is on disk. */
  done: Promise<void>;
  close(): void;
}

export function receiveMigration(socketPath: string, stateFile: string): MigrationReceiver {
  rmSync(socketPath, { force: true });
  const tmp = `${stateFile}.tmp-${process.pid}`;
  let settle!: { resolve: () => void; reject: (e: unknown) => void };
  const done = new Promise<void>((resolve, reject) => {
    settle = { resolve, reject };
  });
  const server = createServer((conn) => {
    server.close(); // one stream only
    const out = createWriteStream(tmp);
    conn.pipe(out);
    out.on("finish", () => {
      try {
        renameSync(tmp, stateFile);
        settle.resolve();
      } catch (e) {
        settle.reject(e);
      }
    });
    const fail = (e: unknown) => settle.reject(unavailable(`receiving the VM state failed: ${String(e)}`));
    conn.on("error", fail);
    out.on("error", fail);
  });
  server.listen(socketPath);
  return {
    done,
    close() {
      server.close();
      rmSync(socketPath, { force: true });
      rmSync(tmp, { force: true });
    },
  };
}
