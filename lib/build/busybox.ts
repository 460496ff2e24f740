// `runm build busybox`: the guest's static busybox. Offline here the source is Debian's
// busybox-static binary, verified to be a static ELF for the guest arch that carries every
// applet the boot chain uses; a binary that fails a check is refused with the reason.
import { existsSync } from "node:fs";
import { copyFile } from "node:fs/promises";
import { join } from "node:path";
import type { GuestArch } from "../constants.ts";
import { failedPrecondition } from "../errors.ts";
import { run } from "../exec.ts";
import { findTool } from "../tools.ts";
import { type Artifact, produce } from "./cache.ts";
import { ELF_MACHINE, readElf } from "./elf.ts";
import type { HashMemo } from "./hash.ts";
import { keyOf } from "./hash.ts";

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
  /** A prebuilt static busybox; default: Debian's busybox-static (/bin/busybox). */
  binary?: string;
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
  if (arch !== hostArch()) return null; // cannot run it to list applets
  const { stdout } = await run(path, ["--list"], { what: "listing busybox applets" });
  const have = new Set(stdout.split("\n"));
  const missing = REQUIRED_APPLETS.filter((a) => !have.has(a));
  return missing.length ? `${path} lacks the applets ${missing.join(", ")}` : null;
}

const hostArch = (): GuestArch => (process.arch === "arm64" ? "arm64" : "x86_64");

export function defaultBusybox(arch: GuestArch): string | null {
  if (arch !== hostArch()) return null;
  for (const p of ["/bin/busybox", "/usr/bin/busybox"]) if (existsSync(p)) return p;
  return findTool("busybox");
}

export async function buildBusybox(o: BusyboxOptions): Promise<Artifact> {
  const bin = o.binary ?? defaultBusybox(o.arch);
  if (!bin) {
    throw failedPrecondition(`no static busybox for ${o.arch}`, {
      hint:
        o.arch === hostArch()
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
