// Loading a built archive into a containerd: `ctr images import`, which also unpacks it for the
// default snapshotter so `ctr run` can use it at once.
import { DEV_NAMESPACE } from "../constants.ts";
import { isRunmError, unavailable } from "../errors.ts";
import { run } from "../exec.ts";

export interface CtrTarget {
  /** containerd's gRPC socket. */
  address: string;
  namespace?: string;
}

export function ctrBase(t: CtrTarget): string[] {
  return ["--address", t.address, "--namespace", t.namespace ?? DEV_NAMESPACE];
}

export async function importImage(archive: string, t: CtrTarget): Promise<void> {
  try {
    await run("ctr", [...ctrBase(t), "images", "import", archive], {
      what: `importing ${archive} into containerd at ${t.address}`,
      timeout: 10 * 60_000,
    });
  } catch (e) {
    if (isRunmError(e) && e.details.some((l) => /connection refused|no such file|dial unix/i.test(l))) {
      throw unavailable(`no containerd answers at ${t.address}`, {
        hint: "start one with: runm dev containerd (or pass --address SOCK)",
        cause: e,
      });
    }
    throw e;
  }
}

/** The image refs this containerd has. */
export async function listImages(t: CtrTarget): Promise<string[]> {
  const { stdout } = await run("ctr", [...ctrBase(t), "images", "ls", "-q"], { what: "listing images" });
  return stdout.split("\n").filter(Boolean);
}
