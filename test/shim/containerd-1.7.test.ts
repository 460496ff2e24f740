// issue 5's acceptance list against containerd 1.7 from Debian 13, unpacked into the cache.
import { containerdFromTrixie } from "../../lib/containerd/trixie.ts";
import { shimSuite } from "./shim-e2e.ts";

shimSuite("containerd 1.7 (Debian 13)", async () => {
  const c = await containerdFromTrixie();
  return { containerd: c.containerd, ctr: c.ctr };
});
