// issue 5's acceptance list against containerd 2.x from Debian unstable (sid), unpacked into the
// cache, with a version-3 config (lib/containerd/config.ts).
import { containerdFromDebian } from "../../lib/containerd/debian-containerd.ts";
import { shimSuite } from "./shim-e2e.ts";

shimSuite("containerd 2.x (Debian sid)", async () => {
  const c = await containerdFromDebian("sid");
  return { containerd: c.containerd, ctr: c.ctr };
});
