// The busybox image's root filesystem, from Debian's busybox-static: /bin/busybox with a symlink
// per applet, a root and a uid-1000 user, and the usual empty dirs. Built as tar entries (no
// staging dir), so the layer depends only on the busybox binary. The host's own package for the
// host's arch; another arch's from the guest sysroot (Debian's package for that arch), its
// applets listed through qemu-user.
import { readFileSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { runForeign } from "../build/foreign-exec.ts";
import { BUSYBOX_PACKAGE, sysrootBusybox } from "../build/guest-sysroot.ts";
import { type GuestArch, hostGuestArch } from "../constants.ts";
import { failedPrecondition } from "../errors.ts";
import { dirs } from "../paths.ts";
import { requireTool } from "../tools.ts";
import type { TarEntry } from "./tar.ts";

export const IMAGE_USER = { name: "user", uid: 1000, gid: 1000, home: "/home/user" } as const;

const PASSWD = `root:x:0:0:root:/root:/bin/sh
${IMAGE_USER.name}:x:${IMAGE_USER.uid}:${IMAGE_USER.gid}:${IMAGE_USER.name}:${IMAGE_USER.home}:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
`;
const GROUP = `root:x:0:
${IMAGE_USER.name}:x:${IMAGE_USER.gid}:
nogroup:x:65534:
`;

export interface BusyboxInput {
  /** Absolute path of the static busybox binary. */
  binary: string;
  /** Applet names (`busybox --list`). */
  applets: string[];
}

export async function findBusybox(
  arch: GuestArch = hostGuestArch(),
  cacheDir = dirs().cache,
): Promise<BusyboxInput> {
  const binary = arch === hostGuestArch() ? hostBusybox() : await foreignBusybox(arch, cacheDir);
  const { stdout } = await runForeign(arch, binary, ["--list"], { what: "listing busybox applets" });
  const applets = stdout.split("\n").filter((a) => a && a !== "busybox" && !a.includes("/"));
  return { binary, applets };
}

function hostBusybox(): string {
  return realpathSync(requireTool("busybox", "to build the busybox image"));
}

async function foreignBusybox(arch: GuestArch, cacheDir: string): Promise<string> {
  const binary = await sysrootBusybox({ arch, cacheDir });
  if (!binary)
    throw failedPrecondition(`Debian's ${BUSYBOX_PACKAGE} for ${arch} holds no busybox`, {
      hint: `remove ${join(cacheDir, "sysroot")} and try again`,
    });
  return binary;
}

export function busyboxRootfs(input: BusyboxInput): TarEntry[] {
  const dir = (path: string, mode = 0o755, uid = 0): TarEntry => ({ type: "dir", path, mode, uid, gid: uid });
  const entries: TarEntry[] = [
    dir("bin"),
    { type: "file", path: "bin/busybox", mode: 0o755, data: readFileSync(input.binary) },
    ...[...new Set(input.applets)]
      .sort()
      .map((a): TarEntry => ({ type: "symlink", path: `bin/${a}`, target: "busybox" })),
    dir("dev"),
    dir("etc"),
    { type: "file", path: "etc/passwd", mode: 0o644, data: PASSWD },
    { type: "file", path: "etc/group", mode: 0o644, data: GROUP },
    { type: "file", path: "etc/hostname", mode: 0o644, data: "runm\n" },
    dir("home"),
    dir(IMAGE_USER.home.slice(1), 0o755, IMAGE_USER.uid),
    dir("proc"),
    dir("root", 0o700),
    dir("sys"),
    dir("tmp", 0o1777),
    dir("usr"),
    dir("usr/bin"),
    dir("usr/sbin"),
    dir("var"),
    dir("var/tmp", 0o1777),
  ];
  return entries;
}
