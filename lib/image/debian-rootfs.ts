// The Debian image's root filesystem: debootstrap (minbase) from the apt mirror this host already
// uses, then a sorted tar with fixed mtimes and numeric owners. Network traffic goes only to that
// configured mirror, the same place `apt-get` goes.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { failedPrecondition } from "../errors.ts";
import { run } from "../exec.ts";
import { logger } from "../log.ts";
import { requireTool } from "../tools.ts";

const log = logger("image");

export interface AptSource {
  uri: string;
  suites: string[];
}

/** The apt sources in one-line (`deb URI SUITE ...`) or deb822 (`URIs:` / `Suites:`) format. */
export function parseAptSources(text: string): AptSource[] {
  const out: AptSource[] = [];
  for (const line of text.split("\n")) {
    const m = line.trim().match(/^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/);
    if (m) out.push({ uri: m[1] as string, suites: [m[2] as string] });
  }
  for (const stanza of text.split(/\n\s*\n/)) {
    const field = (k: string) => stanza.match(new RegExp(`^${k}:\\s*(.+)$`, "mi"))?.[1]?.trim();
    const types = field("Types");
    const uris = field("URIs");
    const suites = field("Suites");
    if (!types?.split(/\s+/).includes("deb") || !uris || !suites) continue;
    for (const uri of uris.split(/\s+/)) out.push({ uri, suites: suites.split(/\s+/) });
  }
  return out;
}

export function aptSourceFiles(root = "/etc/apt"): string[] {
  const files = [join(root, "sources.list")];
  const d = join(root, "sources.list.d");
  if (existsSync(d))
    for (const f of readdirSync(d).sort())
      if (f.endsWith(".list") || f.endsWith(".sources")) files.push(join(d, f));
  return files.filter((f) => existsSync(f));
}

/** The configured mirror that carries `suite` itself (not -security or -updates). */
export function mirrorFor(suite: string, sources: AptSource[]): string | undefined {
  return sources.find((s) => s.suites.includes(suite) && !s.uri.includes("security"))?.uri;
}

export function hostSuite(osRelease = readFileSync("/etc/os-release", "utf8")): string | undefined {
  return osRelease.match(/^VERSION_CODENAME=(\S+)/m)?.[1];
}

export interface DebianOptions {
  suite: string;
  mirror: string;
  /** Debian packages installed on top of minbase (debootstrap --include). */
  include?: string[];
}

export function defaultDebianOptions(): DebianOptions {
  const suite = hostSuite() ?? "bookworm";
  const sources = aptSourceFiles().flatMap((f) => parseAptSources(readFileSync(f, "utf8")));
  const mirror = mirrorFor(suite, sources);
  if (!mirror)
    throw failedPrecondition(`no apt mirror for ${suite} in /etc/apt/sources.list(.d)`, {
      hint: `add a "deb <mirror> ${suite} main" line, or build the busybox image instead`,
    });
  return { suite, mirror };
}

/** debootstrap into a temp dir and return the rootfs as a deterministic-as-possible tar. */
export async function debianRootfsTar(
  opts: DebianOptions,
  workDir: string,
): Promise<Uint8Array<ArrayBuffer>> {
  const debootstrap = requireTool("debootstrap", "to build the debian image");
  const tar = requireTool("tar");
  const dir = await mkdtemp(join(workDir, "debootstrap-"));
  try {
    log.info(`debootstrap ${opts.suite} from ${opts.mirror} (a few minutes)`);
    const include = opts.include?.length ? [`--include=${opts.include.join(",")}`] : [];
    await run(debootstrap, ["--variant=minbase", ...include, opts.suite, dir, opts.mirror], {
      what: "debootstrap",
      timeout: 30 * 60_000,
    });
    // Caches and logs differ per run and only add size.
    for (const p of ["var/cache/apt/archives", "var/lib/apt/lists", "var/log"]) {
      await run("find", [join(dir, p), "-mindepth", "1", "-type", "f", "-delete"]);
    }
    const out = join(workDir, "rootfs.tar");
    await run(tar, [
      "--sort=name",
      "--mtime=@0",
      "--numeric-owner",
      "--format=pax",
      "--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime",
      "-C",
      dir,
      "-cf",
      out,
      ".",
    ]);
    const bytes = new Uint8Array(await Bun.file(out).arrayBuffer());
    await rm(out, { force: true });
    return bytes;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
