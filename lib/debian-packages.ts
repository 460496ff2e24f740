// Debian packages from another suite (trixie, sid) of the host's own mirror, unpacked into runm's
// cache without installing them: apt-get downloads the .debs through a private sources list and
// lists dir (the host's apt state and architectures are untouched; apt still checks each package
// against the suite's signed Release file), and dpkg-deb unpacks them into one dir, atomically.
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
}

/**
 * apt-get options that use only `sourcesLine` (a `deb` or `deb-src` line) with package lists kept
 * in `work`: the host's own sources, lists and architectures are never read or changed.
 */
export function privateApt(work: string, sourcesLine: string): string[] {
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
    "APT::Sandbox::User=root",
  ];
}

/** Download and unpack once; later calls find `root` ready. Returns `root`. */
export async function unpackDebianPackages(u: DebianUnpack): Promise<string> {
  if (existsSync(u.root) && u.ready(u.root)) return u.root;
  // The host's own mirror (from its apt configuration): never a mirror's name in code.
  const mirror = defaultDebianOptions().mirror;
  const what = `downloading ${u.packages.join(", ")} from Debian ${u.suite}`;
  await withAtomicDir(u.root, async (tmp) => {
    const work = join(tmp, ".apt");
    const apt = ["-q", ...privateApt(work, `deb [signed-by=${DEBIAN_KEYRING}] ${mirror} ${u.suite} main`)];
    await run("apt-get", [...apt, "update"], { what, timeout: 300_000 });
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
