// containerd-shim-runm-v2: containerd's runtime io.containerd.runm.v2. Parses the command line
// containerd gives, then runs one action: start, delete, or the long-lived server.
import { fstatSync, writeSync } from "node:fs";
import { RunmError } from "../lib/errors.ts";
import { useInstalledLayout } from "../lib/install/layout.ts";
import { setLogLevel } from "../lib/log.ts";
import { parseShimFlags } from "./flags.ts";
import { deleteShim, startShim } from "./manager.ts";

const VERSION = "runm shim 0.1.0";

async function main(): Promise<void> {
  // Installed by `runm install`: system paths (image store, /run/runm, /etc/runm), never a home.
  useInstalledLayout();
  const f = parseShimFlags(process.argv.slice(2));
  if (f.debug) setLogLevel("debug");
  if (f.action === "version") return void console.log(VERSION);
  // `start` and `delete` answer on fd 1 directly: Bun builds process.stdin/stdout's streams on
  // first use, which these short-lived runs would pay for every container.
  if (f.action === "start") {
    const stdin = fstatSync(0).isCharacterDevice()
      ? new Uint8Array()
      : new Uint8Array(await Bun.stdin.arrayBuffer());
    const answer = await startShim(f, stdin);
    writeSync(1, typeof answer === "string" ? Buffer.from(answer) : answer);
    process.exit(0);
  }
  if (f.action === "delete") {
    writeSync(1, await deleteShim(f));
    process.exit(0);
  }
  // The server's modules (gRPC, protobuf, the sandbox) load only here: `start` and `delete` run
  // once per container start and end, and each would otherwise pay for loading them.
  const { serveShim } = await import("./serve.ts");
  await serveShim(f);
}

main().catch((e) => {
  // containerd shows this text in its error; no stack trace.
  writeSync(2, `${e instanceof RunmError ? e.oneLine() : String(e)}\n`);
  process.exit(1);
});
