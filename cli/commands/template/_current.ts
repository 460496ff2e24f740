// Whether a template was made from the guest image and VMM this host would use now for its arch
// (a stale one is never used: its key no longer matches; `runm template rm --stale` removes it).
// Each template is judged against its own arch's guest: an arm64 template is current while the
// arm64 guest it was made from is the built one.
import { GUEST_ARCHES, type GuestArch } from "../../../lib/constants.ts";
import { type GuestManifest, readGuestManifest } from "../../../lib/guest-manifest.ts";
import type { TemplateInfo } from "../../../lib/sandbox/template.ts";
import { hostDriver } from "../../../lib/vm/select-driver.ts";

export async function currentMatcher(): Promise<(t: TemplateInfo) => boolean> {
  const now = new Map<GuestArch, { m: GuestManifest; vmm: string }>();
  for (const arch of GUEST_ARCHES) {
    try {
      now.set(arch, {
        m: readGuestManifest(arch),
        vmm: (await hostDriver(process.platform, arch)).identity(),
      });
    } catch {
      // no guest image (or no emulator) for this arch: its templates are all stale
    }
  }
  return (t) => {
    const c = now.get(t.shape.arch);
    return (
      !!c &&
      t.shape.kernel === c.m.kernel.sha256 &&
      t.shape.initramfs === c.m.initramfs.sha256 &&
      t.shape.squashfs === c.m.squashfs.sha256 &&
      t.shape.vmm === c.vmm
    );
  };
}
