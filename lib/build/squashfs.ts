// `runm build squashfs`: the read-only "mbin" image the guest mounts at GUEST_MBIN_DIR, built from
// the recipe in squashfs/mbin.json (bin/{runm-agent,runc,crun,tini,busybox + applet links}), plus
// every shared library of the dynamic binaries at the path glibc's loader looks for it
// (lib/x86_64-linux-gnu/..., lib64/ld-linux-x86-64.so.2). For a guest arch other than the host's
// the programs and libraries come from that arch's Debian packages (lib/build/guest-sysroot.ts),
// the libraries found from the ELF headers since ldd cannot run them. Made with mksquashfs's
// reproducible flags, so the same inputs give the same bytes.
import { existsSync, realpathSync } from "node:fs";
import { chmod, copyFile, mkdir, rm, symlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { type GuestArch, hostGuestArch } from "../constants.ts";
import { failedPrecondition } from "../errors.ts";
import { run } from "../exec.ts";
import { findTool, requireTool } from "../tools.ts";
import { type Artifact, produce } from "./cache.ts";
import { ELF_MACHINE, readElf } from "./elf.ts";
import { runForeign } from "./foreign-exec.ts";
import { guestSysroot, MULTIARCH, sysrootProgram } from "./guest-sysroot.ts";
import { type HashMemo, keyOf } from "./hash.ts";
import { MBIN_RECIPE_PATH, type MbinRecipe, readMbinRecipe } from "./mbin-recipe.ts";
import { sharedLibs, sysrootLibs } from "./shared-libs.ts";

const RECIPE = 2; // 2: the file list and modes come from squashfs/mbin.json
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

export interface SquashfsInputs {
  /** image-relative path → host file (binaries and libraries) and its mode in the image. */
  files: Map<string, { host: string; mode: number }>;
  /** image-relative path → link target. */
  links: Map<string, string>;
}

export interface SquashfsOptions {
  arch: GuestArch;
  cacheDir: string;
  memo: HashMemo;
  busybox: Artifact;
  agent: Artifact | null;
  /** The recipe (default: squashfs/mbin.json). */
  recipe?: MbinRecipe;
  /** Another arch's unpacked Debian packages (default: fetched by guestSysroot into cacheDir). */
  sysroot?: string;
  force?: boolean;
}

function hostBinary(name: string, arch: GuestArch, pkg: string | undefined): string {
  const hint = `install it with: apt-get install ${pkg ?? name}`;
  const p = findTool(name);
  if (!p) throw failedPrecondition(`${name} not found (needed for the mbin squashfs)`, { hint });
  const elf = readElf(p);
  if (elf?.machine !== ELF_MACHINE[arch]) {
    throw failedPrecondition(`${p} is not an ${arch} binary`, {
      hint: `the ${arch} guest needs ${arch} binaries; ${hint}`,
    });
  }
  return realpathSync(p);
}

/** A "host:<program>" entry for another arch: the program from that arch's Debian packages. */
function sysrootBinary(sysroot: string, name: string, arch: GuestArch, pkg: string | undefined): string {
  const p = sysrootProgram(sysroot, name);
  if (!p)
    throw failedPrecondition(`${name} is not in Debian's ${arch} packages (${sysroot})`, {
      hint: `name the package that ships it in ${MBIN_RECIPE_PATH}${pkg ? ` (now: ${pkg})` : ""}`,
    });
  if (readElf(p)?.machine !== ELF_MACHINE[arch])
    throw failedPrecondition(`${p} is not an ${arch} binary`, {
      hint: `remove ${sysroot} to fetch it again`,
    });
  return p;
}

/** What goes into the image, from the recipe: files, their libraries and busybox's applet links. */
export async function squashfsInputs(o: SquashfsOptions): Promise<SquashfsInputs> {
  const recipe = o.recipe ?? readMbinRecipe();
  const files = new Map<string, { host: string; mode: number }>();
  const links = new Map<string, string>();
  const withLibs: string[] = [];
  // No host binary can serve another arch: its programs and libraries come from Debian's packages.
  const sysroot =
    o.arch === hostGuestArch()
      ? null
      : (o.sysroot ?? (await guestSysroot({ arch: o.arch, cacheDir: o.cacheDir })));
  for (const e of recipe.entries) {
    const host =
      e.from === "artifact:busybox"
        ? o.busybox.path
        : e.from === "artifact:agent"
          ? o.agent?.path
          : sysroot
            ? sysrootBinary(sysroot, e.from.slice("host:".length), o.arch, e.package)
            : hostBinary(e.from.slice("host:".length), o.arch, e.package);
    if (!host) continue; // no agent built yet (the image test leaves it out)
    files.set(e.path, { host, mode: e.mode });
    if (e.libraries) withLibs.push(host);
    if (e.appletLinks) {
      // Applet links let the guest shell and the agent call `mount`, `ip`, ... by name.
      const stdout = await o.memo.probe(`applets ${host}`, [host], async () => {
        return (await runForeign(o.arch, host, ["--list"], { what: "listing busybox applets" })).stdout;
      });
      for (const applet of stdout.split("\n").filter(Boolean)) {
        const path = `${dirname(e.path)}/${applet}`;
        if (path !== e.path) links.set(path, basename(e.path));
      }
    }
  }
  for (const bin of withLibs) {
    if (sysroot) {
      for (const [path, lib] of sysrootLibs(bin, sysroot, MULTIARCH[o.arch]))
        files.set(path, { host: lib, mode: recipe.libraryMode });
      continue;
    }
    const libs = await o.memo.probe(`ldd ${bin}`, [bin, ...LD_CACHE], () => sharedLibs(bin));
    // The loader must be executable too (the kernel opens PT_INTERP like any program).
    for (const lib of libs) files.set(lib.slice(1), { host: realpathSync(lib), mode: recipe.libraryMode });
  }
  for (const path of files.keys()) links.delete(path); // a real file wins over an applet link
  return { files, links };
}

export async function buildSquashfs(o: SquashfsOptions): Promise<Artifact> {
  const mksquashfs = requireTool("mksquashfs", "to build the mbin squashfs");
  const inputs = await squashfsInputs(o);
  const fileHashes: Record<string, string> = {};
  for (const [path, f] of inputs.files)
    fileHashes[path] = `${await o.memo.hash(f.host)} ${f.mode.toString(8)}`;
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
      for (const [path, f] of inputs.files) {
        await mkdir(dirname(join(stage, path)), { recursive: true });
        await copyFile(f.host, join(stage, path));
        await chmod(join(stage, path), f.mode);
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
