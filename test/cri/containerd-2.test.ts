// The CRI suite (test/cri/cri-suite.ts) against containerd 2.x from Debian unstable (sid), unpacked
// into the cache, with its version-3 config (CRI split into images, runtime and the gRPC server).
import { containerdFromDebian } from "../../lib/containerd/debian-containerd.ts";
import { criSuite } from "./cri-suite.ts";

criSuite("containerd 2.x (Debian sid)", 205, async () => {
  const c = await containerdFromDebian("sid");
  return { containerd: c.containerd, ctr: c.ctr };
});
