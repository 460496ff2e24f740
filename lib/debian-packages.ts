// Debian packages from another suite (trixie, sid) or for another architecture (a foreign guest's
// arm64 userland) from the host's own mirror, unpacked into runm's cache without installing them:
// apt-get downloads the .debs through a private sources list, lists and cache dir (the host's apt
// state, dpkg status and architectures are untouched; apt still checks each package against the
// suite's signed Release file), and dpkg-deb unpacks them into one dir, atomically.
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { failedPrecondition } from "./errors.ts";
import { run } from "./exec.ts";
import { withAtomicDir } from "./fs-atomic.ts";
import { defaultDebianOptions } from "./image/debian-rootfs.ts";

/** Debian's archive keys, which sign every suite's Release file. */
export const DEBIAN_KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg";

export interface DebianUnpack {
  /** A suite the host's mirror carries: "trixie", "sid". */
  suite: string;
  /** Binary package names, each unpacked into `root`. */
  packages: string[];
  /** The unpacked tree (usr/...); left as is when `ready(root)` says it is complete. */
  root: string;
  /** True when `root` already holds what is wanted. */
  ready: (root: string) => boolean;
  /** Debian architecture of the packages ("arm64", "amd64"); default: the host's. */
  arch?: string;
  /**
   * Also every package they depend on, resolved as on an empty system (a sysroot: libc6 and
   * every library the programs load); the unpacked .deb names are listed in `root`/DEBS_LIST.
   */
  dependencies?: boolean;
}

/** In a root unpacked with `dependencies`: the .deb files it was made from, one a line. */
export const DEBS_LIST = ".debian-packages";

/**
 * apt-get options that use only `sourcesLine` (a `deb` or `deb-src` line) with package lists and
 * apt's cache kept in `work`: the host's own sources, lists and architectures are never read or
 * changed. With `arch`, apt resolves packages for that architecture alone (its native one here),
 * whatever dpkg on the host is configured for.
 */
export function privateApt(work: string, sourcesLine: string, o: { arch?: string } = {}): string[] {
  mkdirSync(join(work, "lists", "partial"), { recursive: true });
  const sources = join(work, "sources.list");
  writeFileSync(sources, `${sourcesLine}\n`);
  return [
    "-o",
    `Dir::Etc::SourceList=${sources}`,
    "-o",
    "Dir::Etc::SourceParts=/dev/null",
    "-o",
    `Dir::State::Lists=${join(work, "lists")}`,
    "-o",
    `Dir::Cache=${join(work, "cache")}`,
    "-o",
    "APT::Sandbox::User=root",
    ...(o.arch ? ["-o", `APT::Architecture=${o.arch}`, "-o", `APT::Architectures::=${o.arch}`] : []),
  ];
}

/**
 * Options for `apt-get install --download-only` against nothing installed: an empty dpkg status
 * (so every dependency is fetched, not only what the host lacks), the .debs into `archives`, and
 * no lock on the host's dpkg (nothing here touches it).
 */
function closureApt(work: string, archives: string): string[] {
  const status = join(work, "status");
  writeFileSync(status, "");
  mkdirSync(join(archives, "partial"), { recursive: true });
  return [
    "-o",
    `Dir::State::status=${status}`,
    "-o",
    `Dir::State::extended_states=${join(work, "extended_states")}`,
    "-o",
    `Dir::Cache::archives=${archives}`,
    "-o",
    "Debug::NoLocking=1",
    "-o",
    "APT::Install-Recommends=false",
  ];
}

/** Download and unpack once; later calls find `root` ready. Returns `root`. */
export async function unpackDebianPackages(u: DebianUnpack): Promise<string> {
  if (existsSync(u.root) && u.ready(u.root)) return u.root;
  // The host's own mirror (from its apt configuration): never a mirror's name in code.
  const mirror = defaultDebianOptions().mirror;
  const what = `downloading ${u.packages.join(", ")} from Debian ${u.suite}${u.arch ? ` for ${u.arch}` : ""}`;
  const options = u.arch ? `arch=${u.arch} signed-by=${DEBIAN_KEYRING}` : `signed-by=${DEBIAN_KEYRING}`;
  await withAtomicDir(u.root, async (tmp) => {
    const work = join(tmp, ".apt");
    const apt = ["-q", ...privateApt(work, `deb [${options}] ${mirror} ${u.suite} main`, { arch: u.arch })];
    await run("apt-get", [...apt, "update"], { what, timeout: 300_000 });
    if (u.dependencies) {
      const archives = join(work, "archives");
      await run(
        "apt-get",
        [...apt, ...closureApt(work, archives), "install", "--download-only", "-y", ...u.packages],
        { cwd: work, what, timeout: 600_000 },
      );
      const debs = readdirSync(archives)
        .filter((f) => f.endsWith(".deb"))
        .sort();
      for (const deb of debs)
        await run("dpkg-deb", ["-x", join(archives, deb), tmp], { what: `unpacking ${deb}` });
      writeFileSync(join(tmp, DEBS_LIST), debs.map((d) => `${d}\n`).join(""));
      rmSync(work, { recursive: true, force: true });
      return;
    }
    await run("apt-get", [...apt, "download", ...u.packages], { cwd: work, what, timeout: 300_000 });
    for (const p of u.packages) {
      const deb = readdirSync(work).find((f) => f.startsWith(`${p}_`) && f.endsWith(".deb"));
      if (!deb)
        throw failedPrecondition(`apt-get download ${p} produced no .deb`, {
          hint: `check that the host's apt mirror (${mirror}) serves ${u.suite}`,
        });
      await run("dpkg-deb", ["-x", join(work, deb), tmp], { what: `unpacking ${p}` });
    }
    rmSync(work, { recursive: true, force: true });
  });
  if (!u.ready(u.root))
    throw failedPrecondition(`Debian ${u.suite}'s ${u.packages.join(", ")} did not unpack what runm needs`, {
      hint: `remove ${u.root} and try again`,
    });
  return u.root;
}
