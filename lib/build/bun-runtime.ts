// Bun's runtime for another arch, for `bun build --compile --compile-executable-path`: left to
// itself, a cross-target compile downloads the runtime from GitHub, which this host cannot reach.
// The same binary is published to npm as @oven/bun-linux-<arch> (the packages `npm i bun` picks
// from), and npm's registry is reachable: `npm pack` fetches it at exactly this Bun's version
// (npm checks the registry's integrity hash), and the ELF header is checked before it is cached.
import { chmod, mkdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import type { GuestArch } from "../constants.ts";
import { failedPrecondition, isRunmError, messageOf } from "../errors.ts";
import { run } from "../exec.ts";
import { requireTool } from "../tools.ts";
import { type Artifact, produce } from "./cache.ts";
import { ELF_MACHINE, readElf } from "./elf.ts";
import { keyOf } from "./hash.ts";

/** npm package carrying `bin/bun` for each arch (glibc builds, as Debian guests are glibc). */
export const BUN_RUNTIME_PACKAGE: Record<GuestArch, string> = {
  x86_64: "@oven/bun-linux-x64",
  arm64: "@oven/bun-linux-aarch64",
};

/** The `bun` executable for `arch` at `version` (default: the running Bun's), from npm, cached. */
export async function bunRuntime(o: {
  arch: GuestArch;
  cacheDir: string;
  version?: string;
  force?: boolean;
}): Promise<Artifact> {
  const version = o.version ?? Bun.version;
  const spec = `${BUN_RUNTIME_PACKAGE[o.arch]}@${version}`;
  return produce({
    cacheDir: o.cacheDir,
    kind: `bun-runtime-${o.arch}`,
    key: keyOf({ kind: "bun-runtime", arch: o.arch, spec }),
    file: "bun",
    force: o.force,
    build: async (dir) => {
      const npm = requireTool("npm", `to fetch Bun's ${o.arch} runtime`);
      const work = join(dir, "pack");
      let tarball: string;
      try {
        // From the entry's temp dir, so no project config (a repo's .npmrc, workspaces) changes
        // what npm fetches; the user's ~/.npmrc (registry, proxy) still applies.
        const { stdout } = await run(npm, ["pack", spec, "--json", "--pack-destination", dir], {
          cwd: dir,
          what: `fetching ${spec} from npm`,
          timeout: 600_000,
        });
        tarball = join(dir, (JSON.parse(stdout) as { filename: string }[])[0]?.filename ?? "");
      } catch (e) {
        throw failedPrecondition(`cannot fetch Bun's ${o.arch} runtime ${spec} from npm`, {
          hint: "check that npm reaches its registry (npm ping) and that this Bun version is published",
          cause: e,
          details: isRunmError(e) ? e.details : [messageOf(e)],
        });
      }
      await mkdir(work);
      await run("tar", ["-xzf", tarball, "-C", work, "package/bin/bun"], { what: `unpacking ${spec}` });
      const bun = join(work, "package", "bin", "bun");
      const elf = readElf(bun);
      if (elf?.machine !== ELF_MACHINE[o.arch])
        throw failedPrecondition(`${spec}'s bin/bun is not an ${o.arch} ELF binary`, {
          hint: `see what the package holds with: npm view ${spec}`,
        });
      await rename(bun, join(dir, "bun"));
      await chmod(join(dir, "bun"), 0o755);
      await rm(work, { recursive: true, force: true });
      await rm(tarball, { force: true });
      return { package: spec };
    },
  });
}
