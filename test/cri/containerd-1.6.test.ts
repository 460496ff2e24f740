// The CRI suite (test/cri/cri-suite.ts) against Debian 12's containerd 1.6 (setup.sh installs it).
import { criSuite } from "./cri-suite.ts";

criSuite("containerd 1.6 (Debian 12)", 203);
