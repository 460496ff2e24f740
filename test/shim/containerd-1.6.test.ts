// issue 5's acceptance list against Debian 12's containerd 1.6 (the one on PATH).
import { shimSuite } from "./shim-e2e.ts";

shimSuite("containerd 1.6 (Debian 12)");
