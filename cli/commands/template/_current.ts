// Whether a template was made from the guest image and VMM this host would use now (a stale one
// is never used: its key no longer matches; `runm template rm --stale` removes it).
import { hostGuestArch } from "../../../lib/constants.ts";
import { readGuestManifest } from "../../../lib/guest-manifest.ts";
import type { TemplateInfo } from "../../../lib/sandbox/template.ts";
import { hostDriver } from "../../../lib/vm/select-driver.ts";

export async function currentMatcher(): Promise<(t: TemplateInfo) => boolean> {
  let m: ReturnType<typeof readGuestManifest> | undefined;
  try {
    m = readGuestManifest(hostGuestArch());
  } catch {
    return () => false; // no guest image: every template is stale
  }
  const vmm = (await hostDriver()).identity();
  return (t) =>
    t.shape.kernel === m.kernel.sha256 &&
    t.shape.initramfs === m.initramfs.sha256 &&
    t.shape.squashfs === m.squashfs.sha256 &&
    t.shape.vmm === vmm;
}
