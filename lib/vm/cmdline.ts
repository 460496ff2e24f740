// The guest kernel command line shared by every driver: console and panic behaviour from the
// driver, then the runm keys /init and the agent read (lib/constants.ts CMDLINE).
import { CMDLINE } from "../constants.ts";
import type { VmConfig } from "./vm-interface.ts";

// The extra words come first: /init reads the first occurrence of a key, so a test can override
// runm.mode (e.g. with an unknown mode to make /init fail on purpose).
export function runmCmdlineWords(config: VmConfig, nowMs = Date.now()): string[] {
  return [
    ...(config.extraCmdline ?? []),
    `${CMDLINE.mode}=${config.mode}`,
    `${CMDLINE.time}=${nowMs}`,
    `${CMDLINE.logLevel}=${config.guestLogLevel ?? "info"}`,
  ];
}
