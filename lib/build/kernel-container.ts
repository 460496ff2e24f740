// macOS has no kernel toolchain: the same plan runs inside a Debian container (docker or podman),
// with the repo, the source tarball and the cache mounted at fixed paths. Command generation only;
// it cannot run on this Linux host, so it is unit-tested.
import type { GuestArch } from "../constants.ts";
import { kernelPlan, kernelTarget, planEnv } from "./kernel-plan.ts";

export const KERNEL_BUILDER_IMAGE = "docker.io/library/debian:12";
const PACKAGES = "make gcc libc6-dev bc flex bison libelf-dev libssl-dev xz-utils";

export interface ContainerBuildInput {
  engine: "docker" | "podman";
  arch: GuestArch;
  /** Host paths. */
  repoDir: string;
  tarball: string;
  /** Host dir that receives the build tree (obj/) and the extracted source (src/). */
  workDir: string;
  jobs: number;
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** argv of one `docker|podman run` that extracts, configures and builds the kernel. */
export function containerBuildArgv(i: ContainerBuildInput): string[] {
  // A native arm64 container on Apple silicon; no cross compiler needed inside it.
  const hostArch = i.arch === "arm64" ? "arm64" : "x64";
  const platform = i.arch === "arm64" ? "linux/arm64" : "linux/amd64";
  const plan = kernelPlan({
    arch: i.arch,
    srcDir: "/work/src",
    objDir: "/work/obj",
    fragments: ["/runm/kernel-config/base.config", `/runm/kernel-config/${i.arch}.config`],
    jobs: i.jobs,
    hostArch,
  });
  const env = planEnv(kernelTarget(i.arch, hostArch));
  const script = [
    "set -eu",
    `apt-get update -qq && apt-get install -y -qq --no-install-recommends ${PACKAGES} >/dev/null`,
    "mkdir -p /work/src /work/obj",
    "[ -f /work/src/Makefile ] || tar -xf /source.tar -C /work/src --strip-components=1",
    "cd /work/src",
    ...[...plan.configure, ...plan.build].map((s) => s.argv.map(q).join(" ")),
  ].join("\n");
  return [
    i.engine,
    "run",
    "--rm",
    "--platform",
    platform,
    "-v",
    `${i.repoDir}:/runm:ro`,
    "-v",
    `${i.tarball}:/source.tar:ro`,
    "-v",
    `${i.workDir}:/work`,
    ...Object.entries(env).flatMap(([k, v]) => ["-e", `${k}=${v}`]),
    KERNEL_BUILDER_IMAGE,
    "sh",
    "-c",
    script,
  ];
}
