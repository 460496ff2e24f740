// The kernel's .config: tinyconfig, then kernel-config/base.config + <arch>.config merged with the
// kernel's own merge_config.sh, then verified. merge_config.sh only warns when Kconfig drops an
// option (a missing dependency), so the verifier is what makes a requested option a promise.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { GuestArch } from "../constants.ts";
import { failedPrecondition } from "../errors.ts";
import { REPO_ROOT } from "../paths.ts";

export const KERNEL_CONFIG_DIR = join(REPO_ROOT, "kernel-config");

export function fragmentPaths(arch: GuestArch, dir = KERNEL_CONFIG_DIR): string[] {
  return [join(dir, "base.config"), join(dir, `${arch}.config`)];
}

/** Options a fragment requests: name → value ("y", "64", "\"str\"" or "n" for `is not set`). */
export function parseFragment(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    const unset = /^# (CONFIG_[A-Za-z0-9_]+) is not set$/.exec(line);
    if (unset) {
      out.set(unset[1] as string, "n");
      continue;
    }
    if (!line || line.startsWith("#")) continue;
    const set = /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/.exec(line);
    if (set) out.set(set[1] as string, set[2] as string);
  }
  return out;
}

export interface Mismatch {
  option: string;
  wanted: string;
  got: string;
}

/** Every requested option that did not end up as asked in the final .config. */
export function verifyConfig(requested: Map<string, string>, finalConfig: string): Mismatch[] {
  const final = parseFragment(finalConfig);
  const bad: Mismatch[] = [];
  for (const [option, wanted] of requested) {
    const got = final.get(option) ?? "n"; // absent from .config means unset
    if (got !== wanted) bad.push({ option, wanted, got });
  }
  return bad;
}

export function requestedOptions(files: string[]): Map<string, string> {
  const all = new Map<string, string>();
  for (const f of files) for (const [k, v] of parseFragment(readFileSync(f, "utf8"))) all.set(k, v);
  return all;
}

/** Throws naming each dropped option (the usual cause: a dependency that is not enabled). */
export function assertConfig(requested: Map<string, string>, finalConfig: string, where: string): void {
  const bad = verifyConfig(requested, finalConfig);
  if (bad.length === 0) return;
  const show = (v: string) => (v === "n" ? "not set" : v);
  throw failedPrecondition(
    `${bad.length} requested kernel option(s) did not end up set as asked in ${where}: ${bad
      .map((b) => b.option)
      .join(", ")}`,
    {
      hint: "enable their dependencies in kernel-config/ (see the option's 'depends on' in its Kconfig) or remove them",
      details: bad.map((b) => `${b.option}: wanted ${show(b.wanted)}, got ${show(b.got)}`),
    },
  );
}
