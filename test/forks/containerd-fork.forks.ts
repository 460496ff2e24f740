// By hand, not in CI (CI cannot fetch the fork): `bun run test:forks`. With runm's containerd fork
// installed (`runm forks install containerd [--dir DIR]`, then RUNM_FORKS_DIR=DIR here), builds it
// with `runm forks build`'s code (its darwin packages compiled too) and runs issue 5's shim suite
// against that containerd 2.3, the first release that hands shims a protobuf BootstrapParams on
// stdin and reads a BootstrapResult back (shim/bootstrap.ts).
import { expect } from "bun:test";
import { containerdVersion } from "../../lib/containerd/daemon.ts";
import { buildFork } from "../../lib/forks/build.ts";
import { forksContext } from "../../lib/forks/context.ts";
import { shimSuite } from "../shim/shim-e2e.ts";

shimSuite("containerd 2.3 (runm's fork, built by runm forks build)", async () => {
  const [fork] = forksContext({ names: ["containerd"], dir: process.env.RUNM_FORKS_DIR }).targets;
  if (!fork) throw new Error("the fork manifest has no containerd");
  const built = await buildFork(fork);
  const [containerd, ctr] = built.outputs;
  if (!containerd || !ctr) throw new Error(`the containerd fork built ${built.outputs.join(", ")}`);
  expect((await containerdVersion(containerd)).version).toMatch(/^2\.3\./);
  expect(built.darwinChecked).toEqual(["./core/mount", "./pkg/archive"]);
  return { containerd, ctr };
});
