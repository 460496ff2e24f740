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

test("CRI for runm's tests, in each schema: the pause image, the runm handler, CNI dirs, restrict_oom_score_adj, a local streaming server", () => {
  const setup = { cri: true, criSetup: { sandboxImage: "localhost/pause:1", cniDir: "/c" } };
  const v1 = containerdConfig(l, 1, setup);
  expect(v1).toContain(
    '[plugins."io.containerd.grpc.v1.cri"]\n  sandbox_image = "localhost/pause:1"\n  restrict_oom_score_adj = true',
  );
  expect(v1).toContain(
    '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runm]\n  runtime_type = "io.containerd.runm.v2"',
  );
  expect(v1).toContain('bin_dir = "/c/bin"\n  conf_dir = "/c/conf"');
  const v2 = containerdConfig(l, 2, setup);
  expect(v2).toContain(
    '[plugins."io.containerd.cri.v1.images".pinned_images]\n  sandbox = "localhost/pause:1"',
  );
  expect(v2).toContain('[plugins."io.containerd.cri.v1.runtime"]\n  restrict_oom_score_adj = true');
  expect(v2).toContain(
    '[plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runm]\n  runtime_type = "io.containerd.runm.v2"',
  );
  expect(v2).toContain('bin_dirs = ["/c/bin"]\n  conf_dir = "/c/conf"');
  expect(v2).toContain('[plugins."io.containerd.grpc.v1.cri"]\n  stream_server_address = "127.0.0.1"');
  expect(v2).not.toContain("sandbox_image");
});
