// The --arch flag of every command that picks a guest architecture (build, vm, image).
import { GUEST_ARCHES, type GuestArch, hostGuestArch } from "../lib/constants.ts";
import { invalidArgument } from "../lib/errors.ts";

export const archArg = {
  arch: {
    type: "string",
    description: `Guest architecture: ${GUEST_ARCHES.join(" | ")} (default: this host's)`,
  },
} as const;

export function parseArch(value: string | undefined): GuestArch {
  if (value === undefined || value === "") return hostGuestArch();
  if ((GUEST_ARCHES as readonly string[]).includes(value)) return value as GuestArch;
  throw invalidArgument(`unknown --arch ${value}`, { hint: `use one of: ${GUEST_ARCHES.join(", ")}` });
}
