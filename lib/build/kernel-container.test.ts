import { expect, test } from "bun:test";
import { containerBuildArgv, KERNEL_BUILDER_IMAGE } from "./kernel-container.ts";
import { kernelPlan, kernelTarget } from "./kernel-plan.ts";

test("macOS: the arm64 kernel builds natively inside a linux/arm64 container", () => {
  const argv = containerBuildArgv({
    engine: "podman",
    arch: "arm64",
    repoDir: "/Users/me/runm",
    tarball: "/Users/me/Library/Caches/runm/build/downloads/x-linux-6.1.tar.xz",
    workDir: "/Users/me/Library/Caches/runm/build/container/kernel-arm64-x",
    jobs: 8,
  });
  const i = argv.indexOf(KERNEL_BUILDER_IMAGE);
  expect(argv.slice(0, i)).toEqual([
    "podman",
    "run",
    "--rm",
    "--platform",
    "linux/arm64",
    "-v",
    "/Users/me/runm:/runm:ro",
    "-v",
    "/Users/me/Library/Caches/runm/build/downloads/x-linux-6.1.tar.xz:/source.tar:ro",
    "-v",
    "/Users/me/Library/Caches/runm/build/container/kernel-arm64-x:/work",
    "-e",
    "ARCH=arm64",
  ]);
  expect(argv.slice(i + 1, i + 3)).toEqual(["sh", "-c"]);
  const script = argv[i + 3] as string;
  expect(script.split("\n")).toEqual([
    "set -eu",
    expect.stringContaining(
      "apt-get install -y -qq --no-install-recommends make gcc libc6-dev bc flex bison",
    ),
    "mkdir -p /work/src /work/obj",
    "[ -f /work/src/Makefile ] || tar -xf /source.tar -C /work/src --strip-components=1",
    "cd /work/src",
    "'make' 'ARCH=arm64' 'O=/work/obj' 'tinyconfig'",
    "'scripts/kconfig/merge_config.sh' '-O' '/work/obj' '/work/obj/.config' '/runm/kernel-config/base.config' '/runm/kernel-config/arm64.config'",
    "'make' 'ARCH=arm64' 'O=/work/obj' '-j8' 'Image'",
  ]);
  expect(argv.length).toBe(i + 4);
});

test("docker on an Intel Mac builds x86_64 vmlinux in a linux/amd64 container", () => {
  const argv = containerBuildArgv({
    engine: "docker",
    arch: "x86_64",
    repoDir: "/r",
    tarball: "/t.tar.xz",
    workDir: "/w",
    jobs: 4,
  });
  expect(argv.slice(0, 5)).toEqual(["docker", "run", "--rm", "--platform", "linux/amd64"]);
  expect(argv.at(-1)).toContain("'make' 'ARCH=x86_64' 'O=/work/obj' '-j4' 'vmlinux'");
});

test("native plans: cross compile arm64 on x86_64, vmlinux for x86_64", () => {
  expect(kernelTarget("arm64", "x64")).toMatchObject({
    crossCompile: "aarch64-linux-gnu-",
    output: "arch/arm64/boot/Image",
    cc: "aarch64-linux-gnu-gcc",
  });
  expect(kernelTarget("x86_64", "x64")).toMatchObject({
    crossCompile: undefined,
    output: "vmlinux",
    file: "vmlinux",
  });
  const p = kernelPlan({
    arch: "arm64",
    srcDir: "/s",
    objDir: "/o",
    fragments: ["/f"],
    jobs: 2,
    hostArch: "x64",
  });
  expect(p.build[0]?.argv).toEqual([
    "make",
    "ARCH=arm64",
    "O=/o",
    "CROSS_COMPILE=aarch64-linux-gnu-",
    "-j2",
    "Image",
  ]);
});
