// The guest kernel command line shared by every driver: console and panic behaviour from the
// driver, then the runm keys /init and the agent read (lib/constants.ts CMDLINE).
import { CMDLINE } from "../constants.ts";
import type { VmConfig } from "./vm-interface.ts";

export function runmCmdlineWords(config: VmConfig, nowMs = Date.now()): string[] {
  return [
    `${CMDLINE.mode}=${config.mode}`,
    `${CMDLINE.time}=${nowMs}`,
    `${CMDLINE.logLevel}=${config.guestLogLevel ?? "info"}`,
    ...(config.extraCmdline ?? []),
  ];
}
