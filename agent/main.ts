// runm guest agent: serves lib/proto/agent.proto over one byte stream and drives runc.
// Started by tini (PID 1) in the guest; `--listen unix:PATH` for host tests.
import { messageOf, RunmError } from "../lib/errors.ts";
import { logger } from "../lib/log.ts";
import { runAgent } from "./agent.ts";
import { setClockFromEnv, uptimeMs } from "./boot.ts";
import { parseAgentOptions } from "./options.ts";

const log = logger("agent");
const uptimeAtStartMs = uptimeMs();
// The guest has nobody to restart the agent: a bug in one request is logged, not fatal.
process.on("uncaughtException", (e) => log.error("uncaught:", e));
process.on("unhandledRejection", (e) => log.error("unhandled rejection:", e));

try {
  if (setClockFromEnv()) log.debug(`clock set to ${new Date().toISOString()}`);
  const agent = await runAgent(parseAgentOptions(process.argv.slice(2)), { uptimeAtStartMs });
  for (const sig of ["SIGTERM", "SIGINT"] as const) {
    process.on(sig, () => {
      log.info(`${sig}: stopping`);
      agent.stop().then(
        () => process.exit(0),
        (e) => {
          log.error(messageOf(e));
          process.exit(1);
        },
      );
    });
  }
} catch (e) {
  log.error(e instanceof RunmError ? e.oneLine() : e);
  process.exit(1);
}
