// busybox from source: `make allnoconfig`, then initramfs/busybox.config applied over it (its
// lines replace the generated ones, and `make oldconfig` settles dependencies), verified with the
// kernel config verifier, then a static build. Busybox's old kconfig ignores KCONFIG_ALLCONFIG,
// hence the explicit rewrite.
import { readFileSync, writeFileSync } from "node:fs";
import { copyFile, rm } from "node:fs/promises";
import { cpus } from "node:os";
import { join } from "node:path";
import type { GuestArch } from "../constants.ts";
import { failedPrecondition, RunmError } from "../errors.ts";
import { run } from "../exec.ts";
import { REPO_ROOT } from "../paths.ts";
import { assertConfig, parseFragment } from "./kernel-config.ts";
import { kernelTarget } from "./kernel-plan.ts";
import { runLogged } from "./run-logged.ts";

export const BUSYBOX_FRAGMENT = join(REPO_ROOT, "initramfs", "busybox.config");

/** busybox.net's 1.35.0 tarball (= Debian 12's busybox_1.35.0.orig.tar.bz2). */
export const PINNED_BUSYBOX = {
  url: "https://busybox.net/downloads/busybox-1.35.0.tar.bz2",
  sha256: "faeeb244c35a348a334f4a59e44626ee870fb07b6884d68c10ae8bc19f83a694",
} as const;

/** .config text with every option the fragment names replaced by the fragment's line. */
export function applyFragment(config: string, fragment: string): string {
  const wanted = parseFragment(fragment);
  const kept = config.split("\n").filter((line) => {
    const m = /^(CONFIG_[A-Za-z0-9_]+)=|^# (CONFIG_[A-Za-z0-9_]+) is not set/.exec(line);
    return !(m && wanted.has((m[1] ?? m[2]) as string));
  });
  const lines = [...wanted].map(([k, v]) => (v === "n" ? `# ${k} is not set` : `${k}=${v}`));
  return `${kept.join("\n").trimEnd()}\n${lines.join("\n")}\n`;
}

export interface BusyboxSourceBuild {
  arch: GuestArch;
  tarball: string;
  /** Directory the build happens in (thrown away afterwards). */
  workDir: string;
  out: string;
  logFile: string;
  fragment?: string;
  jobs?: number;
}

export async function buildBusyboxFromSource(b: BusyboxSourceBuild): Promise<void> {
  const fragmentFile = b.fragment ?? BUSYBOX_FRAGMENT;
  const src = join(b.workDir, "src");
  try {
    await run("mkdir", ["-p", src]);
    await run("tar", ["-xf", b.tarball, "-C", src, "--strip-components=1"], { what: "extracting busybox" });
  } catch (e) {
    throw failedPrecondition(`busybox source ${b.tarball} is not a readable tarball`, {
      hint: "pass a busybox-*.tar.bz2 with --source",
      cause: e,
      details: e instanceof RunmError ? e.details : [],
    });
  }
  const t = kernelTarget(b.arch);
  const vars = t.crossCompile ? [`CROSS_COMPILE=${t.crossCompile}`] : [];
  const make = (what: string, args: string[]) =>
    runLogged({
      file: "make",
      args: [...vars, ...args],
      cwd: src,
      logFile: b.logFile,
      what: `busybox ${what}`,
    });
  await make("allnoconfig", ["allnoconfig"]);
  const fragment = readFileSync(fragmentFile, "utf8");
  writeFileSync(join(src, ".config"), applyFragment(readFileSync(join(src, ".config"), "utf8"), fragment));
  // oldconfig asks about options that just became visible: take every default.
  await runLogged({
    file: "sh",
    args: ["-c", `yes '' | make ${vars.join(" ")} oldconfig`],
    cwd: src,
    logFile: b.logFile,
    what: "busybox oldconfig",
  });
  assertConfig(parseFragment(fragment), readFileSync(join(src, ".config"), "utf8"), "busybox .config");
  await make("build", [`-j${b.jobs ?? cpus().length}`, "busybox"]);
  await copyFile(join(src, "busybox"), b.out);
  await rm(src, { recursive: true, force: true });
}
