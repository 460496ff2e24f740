// containerd-shim-runm-v2: containerd's runtime io.containerd.runm.v2. Parses the command line
// containerd gives, then runs one action: start, delete, or the long-lived server.
import { RunmError } from "../lib/errors.ts";
import { useInstalledLayout } from "../lib/install/layout.ts";
import { setLogLevel } from "../lib/log.ts";
import { parseShimFlags } from "./flags.ts";
import { deleteShim, startShim } from "./manager.ts";
import { serveShim } from "./serve.ts";

const VERSION = "runm shim 0.1.0";

async function main(): Promise<void> {
  // Installed by `runm install`: system paths (image store, /run/runm, /etc/runm), never a home.
  useInstalledLayout();
  const f = parseShimFlags(process.argv.slice(2));
  if (f.debug) setLogLevel("debug");
  if (f.action === "version") return void console.log(VERSION);
  if (f.action === "start") {
    const stdin = process.stdin.isTTY ? new Uint8Array() : new Uint8Array(await Bun.stdin.arrayBuffer());
    const answer = await startShim(f, stdin);
    process.stdout.write(answer);
    process.exit(0);
  }
  if (f.action === "delete") {
    process.stdout.write(await deleteShim(f));
    process.exit(0);
  }
  await serveShim(f);
}

main().catch((e) => {
  // containerd shows this text in its error; no stack trace.
  process.stderr.write(`${e instanceof RunmError ? e.oneLine() : String(e)}\n`);
  process.exit(1);
});
