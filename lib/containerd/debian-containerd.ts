// containerd releases newer than the host's, without installing them: Debian 13 (trixie) packages
// 1.7 and Debian unstable (sid) 2.x, and both run on Debian 12 as they are; unpacked into runm's
// cache, one dir per suite (lib/debian-packages.ts).
import { existsSync } from "node:fs";
import { join } from "node:path";
import { unpackDebianPackages } from "../debian-packages.ts";
import { failedPrecondition } from "../errors.ts";
import { dirs } from "../paths.ts";
import { containerdVersion } from "./daemon.ts";

/** The suites runm fetches containerd from, and the major version each is expected to carry. */
export const CONTAINERD_SUITES = { trixie: 1, sid: 2 } as const;
export type ContainerdSuite = keyof typeof CONTAINERD_SUITES;

export interface UnpackedContainerd {
  containerd: string;
  ctr: string;
  version: string;
}

export async function containerdFromDebian(
  suite: ContainerdSuite,
  cacheDir = dirs().cache,
): Promise<UnpackedContainerd> {
  const root = join(cacheDir, `containerd-${suite}`, "root");
  const bin = (n: string) => join(root, "usr", "bin", n);
  await unpackDebianPackages({
    suite,
    packages: ["containerd"],
    root,
    ready: () => existsSync(bin("containerd")),
  });
  const { version, major } = await containerdVersion(bin("containerd"));
  if (major !== CONTAINERD_SUITES[suite])
    throw failedPrecondition(
      `Debian ${suite}'s containerd is ${version}, not the ${CONTAINERD_SUITES[suite]}.x runm tests against it`,
      {
        hint: `remove ${join(cacheDir, `containerd-${suite}`)} to fetch it again, or update CONTAINERD_SUITES`,
      },
    );
  return { containerd: bin("containerd"), ctr: bin("ctr"), version };
}
