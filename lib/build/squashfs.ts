// `runm build squashfs`: the read-only "mbin" image the guest mounts at GUEST_MBIN_DIR. Layout
// (paths relative to the mount point): bin/{runm-agent,runc,tini,busybox + applet links} and
// every shared library of the dynamic binaries at the path glibc's loader looks for it
// (lib/x86_64-linux-gnu/..., lib64/ld-linux-x86-64.so.2). Made with mksquashfs's reproducible
// flags, so the same inputs give the same bytes.
import { existsSync, realpathSync } from "node:fs";
import { chmod, copyFile, mkdir, rm, symlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import {
  GUEST_AGENT_PATH,
  GUEST_BUSYBOX_PATH,
  GUEST_CRUN_PATH,
  GUEST_MBIN_DIR,
  GUEST_RUNC_PATH,
  GUEST_TINI_PATH,
  type GuestArch,
} from "../constants.ts";
import { failedPrecondition } from "../errors.ts";
import { run } from "../exec.ts";
import { findTool, requireTool } from "../tools.ts";
import { type Artifact, produce } from "./cache.ts";
import { ELF_MACHINE, readElf } from "./elf.ts";
import { type HashMemo, keyOf } from "./hash.ts";
import { sharedLibs } from "./shared-libs.ts";

const RECIPE = 1;
/** The loader's cache: when it changes, ldd may resolve libraries elsewhere. */
const LD_CACHE = ["/etc/ld.so.cache"].filter((f) => existsSync(f));
/** zstd level 3: 0.4 s vs 4.5 s at level 15 for ~15% more bytes (design.md §5); rebuilt per agent change. */
export const MKSQUASHFS_FLAGS = [
  "-noappend",
  "-all-root",
  "-mkfs-time",
  "0",
  "-all-time",
  "0",
  "-no-xattrs",
  "-no-exports",
  // Data and fragments uncompressed: under TCG, decompressing the 109 MB agent cost ~1.5 s of
  // every boot (agent ready 5.3-6.0 s with zstd -3, 3.7-4.4 s without); inodes stay compressed.
  "-noD",
  "-noF",
  "-quiet",
];

/** Path inside the image for a guest path under GUEST_MBIN_DIR. */
const inImage = (guestPath: string) => guestPath.slice(GUEST_MBIN_DIR.length + 1);

export interface SquashfsInputs {
  /** image-relative path → host file (binaries and libraries). */
  files: Map<string, string>;
  /** image-relative path → link target. */
  links: Map<string, string>;
}

export interface SquashfsOptions {
  arch: GuestArch;
  cacheDir: string;
  memo: HashMemo;
  busybox: Artifact;
  agent: Artifact | null;
  runc?: string;
  crun?: string;
  tini?: string;
  force?: boolean;
}

function hostBinary(name: string, given: string | undefined, arch: GuestArch, hint: string): string {
  const p = given ?? findTool(name);
  if (!p) {
    if (name === "runc") requireTool("runc", "for the mbin squashfs");
    throw failedPrecondition(`${name} not found (needed for the mbin squashfs)`, { hint });
  }
  const elf = readElf(p);
  if (elf?.machine !== ELF_MACHINE[arch]) {
    throw failedPrecondition(`${p} is not an ${arch} binary`, {
      hint: `the ${arch} guest needs ${arch} binaries; ${hint}`,
    });
  }
  return realpathSync(p);
}

/** What goes into the image: binaries, their libraries and the busybox applet links. */
export async function squashfsInputs(o: SquashfsOptions): Promise<SquashfsInputs> {
  const files = new Map<string, string>();
  const links = new Map<string, string>();
  const runc = hostBinary("runc", o.runc, o.arch, "install it with: apt-get install runc");
  const tini = hostBinary("tini-static", o.tini, o.arch, "install it with: apt-get install tini");
  const crun = hostBinary("crun", o.crun, o.arch, "install it with: apt-get install crun");
  files.set(inImage(GUEST_RUNC_PATH), runc);
  files.set(inImage(GUEST_CRUN_PATH), crun);
  files.set(inImage(GUEST_TINI_PATH), tini);
  files.set(inImage(GUEST_BUSYBOX_PATH), o.busybox.path);
  if (o.agent) files.set(inImage(GUEST_AGENT_PATH), o.agent.path);
  for (const bin of [runc, crun, tini, o.agent?.path].filter((b): b is string => Boolean(b))) {
    const libs = await o.memo.probe(`ldd ${bin}`, [bin, ...LD_CACHE], () => sharedLibs(bin));
    for (const lib of libs) files.set(lib.slice(1), realpathSync(lib));
  }
  // Applet links let the guest shell and the agent call `mount`, `ip`, ... by name.
  const stdout = await o.memo.probe(`applets ${o.busybox.path}`, [o.busybox.path], async () => {
    return (await run(o.busybox.path, ["--list"], { what: "listing busybox applets" })).stdout;
  });
  const bb = basename(GUEST_BUSYBOX_PATH);
  for (const applet of stdout.split("\n").filter(Boolean)) {
    const path = `${dirname(inImage(GUEST_BUSYBOX_PATH))}/${applet}`;
    if (!files.has(path) && applet !== bb) links.set(path, bb);
  }
  return { files, links };
}

export async function buildSquashfs(o: SquashfsOptions): Promise<Artifact> {
  const mksquashfs = requireTool("mksquashfs", "to build the mbin squashfs");
  const inputs = await squashfsInputs(o);
  const fileHashes: Record<string, string> = {};
  for (const [path, host] of inputs.files) fileHashes[path] = await o.memo.hash(host);
  const version = await o.memo.probe(`version ${mksquashfs}`, [mksquashfs], async () => {
    return (await run(mksquashfs, ["-version"])).stdout.split("\n")[0];
  });
  const key = keyOf({
    kind: "squashfs",
    arch: o.arch,
    files: fileHashes,
    links: Object.fromEntries(inputs.links),
    flags: MKSQUASHFS_FLAGS,
    mksquashfs: version,
    recipe: RECIPE,
  });
  return produce({
    cacheDir: o.cacheDir,
    kind: `squashfs-${o.arch}`,
    key,
    file: "mbin.squashfs",
    force: o.force,
    build: async (dir) => {
      const stage = join(dir, "stage");
      for (const [path, host] of inputs.files) {
        await mkdir(dirname(join(stage, path)), { recursive: true });
        await copyFile(host, join(stage, path));
        // The loader must be executable too (the kernel opens PT_INTERP like any program).
        await chmod(join(stage, path), 0o755);
      }
      for (const [path, target] of inputs.links) await symlink(target, join(stage, path));
      await run(mksquashfs, [stage, join(dir, "mbin.squashfs"), ...MKSQUASHFS_FLAGS], {
        what: "making the mbin squashfs",
      });
      await rm(stage, { recursive: true, force: true });
      return { agent: o.agent ? "included" : "absent (agent/main.ts does not exist yet)" };
    },
  });
}
