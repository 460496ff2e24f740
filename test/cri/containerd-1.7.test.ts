// The CRI suite (test/cri/cri-suite.ts) against containerd 1.7 from Debian 13, unpacked into the cache.
import { containerdFromDebian } from "../../lib/containerd/debian-containerd.ts";
import { criSuite } from "./cri-suite.ts";

criSuite("containerd 1.7 (Debian 13)", 204, async () => {
  const c = await containerdFromDebian("trixie");
  return { containerd: c.containerd, ctr: c.ctr };
});
