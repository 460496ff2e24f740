// Before a runm-managed containerd starts: bring the guest image and the shim up to date. Both
// are content-addressed, so when nothing changed this only hashes inputs.
import { dirname } from "node:path";
import { buildAll } from "../build/all.ts";
import { hostGuestArch } from "../constants.ts";
import { buildShimBinary } from "../containerd/shim-binary.ts";
import { logger } from "../log.ts";
import { dirs } from "../paths.ts";

const log = logger("dev");

/**
 * Builds what is stale (the guest image only when `guest`; the shim always, it takes seconds) and
 * returns the dir holding containerd-shim-runm-v2, for containerd's PATH.
 */
export async function prepareRuntime(o: { guest?: boolean; cacheDir?: string } = {}): Promise<string> {
  const cacheDir = o.cacheDir ?? dirs().cache;
  const t0 = performance.now();
  log.info(`checking the ${o.guest === false ? "" : "guest image and the "}shim (rebuilding what changed)`);
  if (o.guest !== false) await buildAll({ arch: hostGuestArch(), cacheDir });
  const shim = await buildShimBinary(cacheDir);
  log.info(`ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return dirname(shim);
}
