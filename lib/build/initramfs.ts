// `runm build initramfs`: gzip(newc cpio) of /init (initramfs/init with its placeholders filled
// from lib/constants.ts), the static busybox with its applet links, and /dev/console so that
// /init has a console before devtmpfs is mounted.
import { readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import {
  BOOT_MARKER,
  CMDLINE,
  FLOOR_MARKER,
  GUEST_AGENT_PATH,
  GUEST_HOST_GATEWAY,
  GUEST_HOST_LOOPBACK,
  GUEST_MBIN_DEVICE,
  GUEST_MBIN_DIR,
  GUEST_TINI_PATH,
  type GuestArch,
} from "../constants.ts";
import { invalidArgument } from "../errors.ts";
import { REPO_ROOT } from "../paths.ts";
import { REQUIRED_APPLETS } from "./busybox.ts";
import { type Artifact, produce } from "./cache.ts";
import { type CpioEntry, writeCpio } from "./cpio.ts";
import { keyOf, sha256 } from "./hash.ts";

export const INIT_SCRIPT = join(REPO_ROOT, "initramfs", "init");
const RECIPE = 1;

export const INIT_VALUES: Record<string, string> = {
  BOOT_MARKER,
  FLOOR_MARKER,
  CMDLINE_MODE: CMDLINE.mode,
  CMDLINE_TIME: CMDLINE.time,
  CMDLINE_LOG: CMDLINE.logLevel,
  MBIN_DEVICE: GUEST_MBIN_DEVICE,
  MBIN_DIR: GUEST_MBIN_DIR,
  AGENT_PATH: GUEST_AGENT_PATH,
  TINI_PATH: GUEST_TINI_PATH,
  GATEWAY: GUEST_HOST_GATEWAY,
  HOST_LOOPBACK: GUEST_HOST_LOOPBACK,
};

/** Fill @@NAME@@ placeholders; an unknown one is an error, never a silent blank. */
export function renderInit(template: string, values = INIT_VALUES): string {
  return template.replace(/@@([A-Z_]+)@@/g, (_, name: string) => {
    const v = values[name];
    if (v === undefined) throw invalidArgument(`initramfs/init uses an unknown placeholder @@${name}@@`);
    return v;
  });
}

export function initramfsEntries(init: string, busybox: Uint8Array): CpioEntry[] {
  const enc = new TextEncoder();
  return [
    ...["bin", "dev", "proc", "sys", "newroot", "run", "tmp"].map((path) => ({ path, type: "dir" as const })),
    { path: "dev/console", type: "char", mode: 0o600, major: 5, minor: 1 },
    { path: "dev/null", type: "char", mode: 0o666, major: 1, minor: 3 },
    { path: "init", type: "file", mode: 0o755, data: enc.encode(init) },
    { path: "bin/busybox", type: "file", mode: 0o755, data: busybox },
    ...REQUIRED_APPLETS.map((a) => ({ path: `bin/${a}`, type: "symlink" as const, target: "busybox" })),
  ];
}

export interface InitramfsOptions {
  arch: GuestArch;
  cacheDir: string;
  busybox: Artifact;
  force?: boolean;
  initScript?: string;
}

export async function buildInitramfs(o: InitramfsOptions): Promise<Artifact> {
  const init = renderInit(readFileSync(o.initScript ?? INIT_SCRIPT, "utf8"));
  const key = keyOf({
    kind: "initramfs",
    arch: o.arch,
    busybox: o.busybox.sha256,
    init: sha256(init),
    recipe: RECIPE,
  });
  return produce({
    cacheDir: o.cacheDir,
    kind: `initramfs-${o.arch}`,
    key,
    file: "initramfs.cpio.gz",
    force: o.force,
    build: async (dir) => {
      const cpio = writeCpio(initramfsEntries(init, readFileSync(o.busybox.path)));
      // zlib writes mtime 0 in the gzip header, so the bytes depend on the input only.
      await writeFile(join(dir, "initramfs.cpio.gz"), gzipSync(cpio, { level: 9 }));
      return { cpioBytes: String(cpio.length) };
    },
  });
}
