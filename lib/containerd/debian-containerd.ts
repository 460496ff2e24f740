// containerd 1.7 without installing it: Debian 13 (trixie) packages it, and it runs on Debian 12.
// apt-get downloads the .deb through a private sources list and lists dir (the host's apt state
// is untouched), and dpkg-deb unpacks it into the cache.
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { failedPrecondition } from "../errors.ts";
import { run } from "../exec.ts";
import { withAtomicDir } from "../fs-atomic.ts";
import { defaultDebianOptions } from "../image/debian-rootfs.ts";
import { dirs } from "../paths.ts";

/**
 * The host's own Debian mirror (from its apt configuration): the archive that carries the host's
 * release carries trixie too. Never a mirror's name in code.
 */
const trixieMirror = () => defaultDebianOptions().mirror;

export interface UnpackedContainerd {
  containerd: string;
  ctr: string;
  version: string;
}

export async function containerdFromTrixie(cacheDir = dirs().cache): Promise<UnpackedContainerd> {
  const root = join(cacheDir, "containerd-trixie", "root");
  const bin = (n: string) => join(root, "usr", "bin", n);
  if (!existsSync(bin("containerd"))) {
    await withAtomicDir(root, async (tmp) => {
      const work = join(tmp, ".apt");
      mkdirSync(join(work, "lists", "partial"), { recursive: true });
      const sources = join(work, "sources.list");
      writeFileSync(
        sources,
        `deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${trixieMirror()} trixie main\n`,
      );
      const apt = [
        "-q",
        `-o`,
        `Dir::Etc::SourceList=${sources}`,
        "-o",
        "Dir::Etc::SourceParts=/dev/null",
        "-o",
        `Dir::State::Lists=${join(work, "lists")}`,
        "-o",
        "APT::Sandbox::User=root",
      ];
      const what = "downloading containerd from Debian trixie";
      await run("apt-get", [...apt, "update"], { what, timeout: 300_000 });
      await run("apt-get", [...apt, "download", "containerd"], { cwd: work, what, timeout: 300_000 });
      const deb = readdirSync(work).find((f) => f.startsWith("containerd_") && f.endsWith(".deb"));
      if (!deb)
        throw failedPrecondition("apt-get download containerd produced no .deb", {
          hint: `check that ${trixieMirror()} (the host's apt mirror) serves trixie`,
        });
      await run("dpkg-deb", ["-x", join(work, deb), tmp], { what: "unpacking containerd" });
      rmSync(work, { recursive: true, force: true });
    });
  }
  const { stdout } = await run(bin("containerd"), ["--version"]);
  return { containerd: bin("containerd"), ctr: bin("ctr"), version: stdout.split(" ")[2] ?? "" };
}
