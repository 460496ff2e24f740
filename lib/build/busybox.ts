// `runm build busybox`: the guest's static busybox. Offline here the source is Debian's
// busybox-static binary (the host's, or for another arch the one in that arch's Debian packages,
// lib/build/guest-sysroot.ts), verified to be a static ELF for the guest arch that carries every
// applet the boot chain uses (run through qemu-user for another arch); a binary that fails a
// check is refused with the reason.
import { existsSync, readFileSync } from "node:fs";
import { copyFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { type GuestArch, hostGuestArch } from "../constants.ts";
import { failedPrecondition, invalidArgument } from "../errors.ts";
import { probe } from "../exec.ts";
import { findTool, requireTool } from "../tools.ts";
import { BUSYBOX_FRAGMENT, buildBusyboxFromSource, PINNED_BUSYBOX } from "./busybox-source.ts";
import { type Artifact, produce } from "./cache.ts";
import { ELF_MACHINE, readElf } from "./elf.ts";
import { runForeign } from "./foreign-exec.ts";
import { sysrootBusybox } from "./guest-sysroot.ts";
import type { HashMemo } from "./hash.ts";
import { keyOf, sha256 } from "./hash.ts";
import { kernelTarget } from "./kernel-plan.ts";
import { download, pinnedPath } from "./kernel-source.ts";

/** Applets initramfs/init and the guest shell rely on. */
export const REQUIRED_APPLETS = [
  "sh",
  "mount",
  "umount",
  "mkdir",
  "ln",
  "cat",
  "echo",
  "sleep",
  "usleep",
  "reboot",
  "switch_root",
  "hostname",
  "ip",
  "date",
  "setsid",
  "cttyhack",
  "cp",
  "chmod",
  "rm",
  "grep",
  "ls",
  "ps",
  "mknod",
] as const;

export interface BusyboxOptions {
  arch: GuestArch;
  cacheDir: string;
  memo: HashMemo;
  /**
   * A prebuilt static busybox; default: Debian's busybox-static (/bin/busybox, or for another
   * arch bin/busybox of that arch's Debian packages).
   */
  binary?: string;
  /** Another arch's unpacked Debian packages (default: fetched by guestSysroot into cacheDir). */
  sysroot?: string;
  /** Build from source: a tarball path, an http(s) URL, or "pinned" (download busybox.net's). */
  source?: string;
  jobs?: number;
  force?: boolean;
}

/** Why this binary cannot be the guest busybox, or null when it can. */
export async function checkBusybox(path: string, arch: GuestArch): Promise<string | null> {
  const elf = readElf(path);
  if (!elf) return `${path} is not a 64-bit ELF binary`;
  if (elf.machine !== ELF_MACHINE[arch])
    return `${path} is not built for ${arch} (ELF machine ${elf.machine})`;
  if (elf.interp)
    return `${path} is dynamically linked (loader ${elf.interp}); the initramfs needs a static busybox`;
  const { stdout } = await runForeign(arch, path, ["--list"], { what: "listing busybox applets" });
  const have = new Set(stdout.split("\n"));
  const missing = REQUIRED_APPLETS.filter((a) => !have.has(a));
  return missing.length ? `${path} lacks the applets ${missing.join(", ")}` : null;
}

/** The host's busybox for the host's arch; null for another arch (see debianBusybox). */
export function defaultBusybox(arch: GuestArch): string | null {
  if (arch !== hostGuestArch()) return null;
  for (const p of ["/bin/busybox", "/usr/bin/busybox"]) if (existsSync(p)) return p;
  return findTool("busybox");
}

/** Debian's busybox-static for `arch`: the host's own, or fetched with that arch's packages. */
async function debianBusybox(o: BusyboxOptions): Promise<string | null> {
  if (o.arch === hostGuestArch()) return defaultBusybox(o.arch);
  return sysrootBusybox(o);
}

/** The source tarball to build from, or null to use a prebuilt binary. */
async function sourceTarball(o: BusyboxOptions): Promise<string | null> {
  if (o.binary) return null;
  if (o.source === "pinned") return download(PINNED_BUSYBOX.url, PINNED_BUSYBOX.sha256, o.cacheDir);
  if (o.source && /^https?:\/\//.test(o.source)) return download(o.source, undefined, o.cacheDir);
  if (o.source) {
    if (!existsSync(o.source)) throw invalidArgument(`busybox source ${o.source} does not exist`);
    return resolve(o.source);
  }
  // Offline default: the pinned tarball once it has been downloaded, else Debian's binary.
  const cached = pinnedPath(PINNED_BUSYBOX.url, PINNED_BUSYBOX.sha256, o.cacheDir);
  return existsSync(cached) ? cached : null;
}

async function buildFromSource(o: BusyboxOptions, tarball: string): Promise<Artifact> {
  const t = kernelTarget(o.arch);
  requireTool("make", "to build busybox");
  requireTool(t.cc, "to build busybox");
  const cc = (await probe(t.cc, ["--version"]))?.split("\n")[0] ?? t.cc;
  const key = keyOf({
    kind: "busybox-source",
    arch: o.arch,
    tarball: await o.memo.hash(tarball),
    fragment: sha256(readFileSync(BUSYBOX_FRAGMENT)),
    cc,
    recipe: 1,
  });
  return produce({
    cacheDir: o.cacheDir,
    kind: `busybox-${o.arch}`,
    key,
    file: "busybox",
    force: o.force,
    build: async (dir) => {
      const out = join(dir, "busybox");
      const logFile = join(o.cacheDir, "build", "logs", `busybox-${o.arch}-${key}.log`);
      await buildBusyboxFromSource({ arch: o.arch, tarball, workDir: dir, out, logFile, jobs: o.jobs });
      const why = await checkBusybox(out, o.arch);
      if (why)
        throw failedPrecondition(`the busybox built from ${tarball} is unusable: ${why}`, {
          hint: `see ${logFile}`,
        });
      return { source: tarball };
    },
  });
}

export async function buildBusybox(o: BusyboxOptions): Promise<Artifact> {
  const tarball = await sourceTarball(o);
  if (tarball) return buildFromSource(o, tarball);
  const bin = o.binary ?? (await debianBusybox(o));
  if (!bin) {
    throw failedPrecondition(`no static busybox for ${o.arch}`, {
      hint:
        o.arch === hostGuestArch()
          ? "install it with: apt-get install busybox-static"
          : `pass a static ${o.arch} busybox with --binary FILE (e.g. from Debian's busybox-static for ${o.arch})`,
    });
  }
  const binSha = await o.memo.hash(bin);
  const key = keyOf({ kind: "busybox", arch: o.arch, binary: binSha, applets: REQUIRED_APPLETS });
  return produce({
    cacheDir: o.cacheDir,
    kind: `busybox-${o.arch}`,
    key,
    file: "busybox",
    force: o.force,
    build: async (dir) => {
      const why = await checkBusybox(bin, o.arch);
      if (why)
        throw failedPrecondition(why, { hint: "install Debian's busybox-static or pass --binary FILE" });
      await copyFile(bin, join(dir, "busybox"));
      return { source: bin };
    },
  });
}
