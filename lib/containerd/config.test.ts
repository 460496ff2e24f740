// The private containerd's config follows the daemon's schema: version 2 for 1.x, version 3 for
// 2.x with CRI's three plugins off. (Both daemons start from it in test/shim's suites.)
import { expect, test } from "bun:test";
import { containerdConfig, containerdLayout } from "./config.ts";

const l = containerdLayout("/run/x");

test("containerd 1.x gets a version-2 config, CRI off", () => {
  const c = containerdConfig(l, 1);
  expect(c).toContain("\nversion = 2\n");
  expect(c).toContain('disabled_plugins = ["io.containerd.grpc.v1.cri"]');
  expect(c).toContain('root = "/run/x/root"');
});

test("containerd 2.x gets a version-3 config with all of CRI off (its pod sandbox controller too), unless CRI is asked for", () => {
  const c = containerdConfig(l, 2);
  expect(c).toContain("\nversion = 3\n");
  expect(c).toContain(
    'disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.cri.v1.runtime", "io.containerd.cri.v1.images", "io.containerd.podsandbox.controller.v1.podsandbox", "io.containerd.grpc.v1.sandbox-controllers"]',
  );
  expect(containerdConfig(l, 2, { cri: true })).toContain("disabled_plugins = []");
});
