// `runm build kernel`: resolve the source, configure (tinyconfig + kernel-config/ fragments),
// verify every requested option, build with make -jN, and store vmlinux (x86_64) or Image (arm64)
// under a key made of the source hash, the fragments, the compiler version and the recipe.

import { existsSync, readFileSync, realpathSync } from "node:fs";
import { copyFile } from "node:fs/promises";
import { cpus } from "node:os";
import { basename, join } from "node:path";
import type { GuestArch } from "../constants.ts";
import { failedPrecondition } from "../errors.ts";
import { probe } from "../exec.ts";
import { withLock } from "../lock.ts";
import { logger } from "../log.ts";
import { REPO_ROOT } from "../paths.ts";
import { findTool, requireTool } from "../tools.ts";
import { type Artifact, lockFile, produce } from "./cache.ts";
import type { HashMemo } from "./hash.ts";
import { keyOf, sha256 } from "./hash.ts";
import { assertConfig, fragmentPaths, requestedOptions } from "./kernel-config.ts";
import { containerBuildArgv } from "./kernel-container.ts";
import { kernelPlan, kernelTarget, planEnv } from "./kernel-plan.ts";
import { extractSource, resolveKernelSource, type SourceRequest } from "./kernel-source.ts";
import { expectedSteps, Progress, recordSteps } from "./progress.ts";
import { runLogged } from "./run-logged.ts";

const log = logger("build");
/** Bump when the way the kernel is built changes in a way the inputs do not show. */
const RECIPE = 1;

export interface KernelOptions {
  arch: GuestArch;
  cacheDir: string;
  memo: HashMemo;
  source?: SourceRequest;
  jobs?: number;
  force?: boolean;
  /** Override kernel-config/ (tests). */
  configDir?: string;
}

/** The cache entry of a kernel: keyed by source, config fragments, compiler and recipe. */
function kernelProduct(o: KernelOptions, sourceSha: string, fragments: string[], cc: string, file: string) {
  const key = keyOf({
    kind: "kernel",
    arch: o.arch,
    source: sourceSha,
    fragments: fragments.map((f) => sha256(readFileSync(f))),
    cc,
    recipe: RECIPE,
  });
  return { cacheDir: o.cacheDir, kind: `kernel-${o.arch}`, key, file, force: o.force };
}

export async function buildKernel(o: KernelOptions): Promise<Artifact> {
  if (process.platform === "darwin") return buildKernelInContainer(o);
  const t = kernelTarget(o.arch);
  for (const tool of ["make", t.cc, "flex", "bison", "bc", "tar"]) requireTool(tool, "to build the kernel");
  const src = await resolveKernelSource(o.source ?? {}, o.cacheDir, o.memo);
  if (src.tarball.endsWith(".xz")) requireTool("xz", "to unpack the kernel source");
  const fragments = fragmentPaths(o.arch, o.configDir);
  const ccPath = realpathSync(requireTool(t.cc));
  const cc = await o.memo.probe(`version ${ccPath}`, [ccPath], async () => {
    return (await probe(ccPath, ["--version"]))?.split("\n")[0] ?? t.cc;
  });
  const product = kernelProduct(o, src.sha256, fragments, cc, t.file);
  const key = product.key;
  return produce({
    ...product,
    build: async (out) => {
      log.info(`kernel ${o.arch}: source ${src.tarball} (${src.origin})`);
      const srcDir = await extractSource(src, o.cacheDir);
      // One build tree per (arch, source): kept between builds so an unchanged config rebuilds in seconds.
      const objDir = join(o.cacheDir, "build", "obj", `kernel-${o.arch}-${src.sha256.slice(0, 16)}`);
      const logFile = join(o.cacheDir, "build", "logs", `kernel-${o.arch}-${key}.log`);
      // The build tree is shared by every config of this (arch, source): one make at a time.
      const { config, makeSeconds } = await withLock(
        lockFile(o.cacheDir, "obj", basename(objDir)),
        async () => {
          const jobs = o.jobs ?? cpus().length;
          const config = await configureKernel({
            arch: o.arch,
            srcDir,
            objDir,
            fragments,
            logFile: `${logFile}.config`,
          });
          const plan = kernelPlan({ arch: o.arch, srcDir, objDir, fragments, jobs });
          const env = { ...process.env, ...planEnv(t) };
          const stepsKind = `kernel-${o.arch}`;
          const progress = new Progress(`kernel ${o.arch}`, expectedSteps(o.cacheDir, stepsKind, 2000));
          const started = performance.now();
          for (const step of plan.build) {
            const [file, ...args] = step.argv as [string, ...string[]];
            log.info(`kernel ${o.arch}: ${step.what} -j${jobs} (log: ${logFile})`);
            await runLogged({
              file,
              args,
              cwd: srcDir,
              env,
              logFile,
              progress,
              what: `kernel ${o.arch} ${step.what}`,
            });
          }
          // A no-change rebuild prints a handful of steps; only a real build teaches the total.
          if (progress.count > 200) await recordSteps(o.cacheDir, stepsKind, progress.count);
          return { config, makeSeconds: ((performance.now() - started) / 1000).toFixed(1) };
        },
      );
      await copyFile(join(objDir, t.output), join(out, t.file));
      await copyFile(join(objDir, ".config"), join(out, "config"));
      return {
        source: `${src.origin}:${src.tarball}`,
        config: sha256(config).slice(0, 12),
        makeSeconds,
      };
    },
  });
}

export interface ConfigureInput {
  arch: GuestArch;
  srcDir: string;
  objDir: string;
  fragments: string[];
  logFile: string;
}

/** tinyconfig + merge_config.sh into objDir, then verify; returns the final .config text. */
export async function configureKernel(c: ConfigureInput): Promise<string> {
  const plan = kernelPlan({ ...c, jobs: 1 });
  const env = { ...process.env, ...planEnv(kernelTarget(c.arch)) };
  for (const step of plan.configure) {
    const [file, ...args] = step.argv as [string, ...string[]];
    await runLogged({ file, args, cwd: c.srcDir, env, logFile: c.logFile, what: step.what });
  }
  const config = readFileSync(join(c.objDir, ".config"), "utf8");
  assertConfig(requestedOptions(c.fragments), config, join(c.objDir, ".config"));
  return config;
}

async function buildKernelInContainer(o: KernelOptions): Promise<Artifact> {
  const engine = findTool("docker") ? "docker" : findTool("podman") ? "podman" : null;
  if (!engine) {
    throw failedPrecondition("building the kernel on macOS needs docker or podman", {
      hint: "install it with: brew install podman (then podman machine init && podman machine start)",
    });
  }
  const src = await resolveKernelSource(o.source ?? {}, o.cacheDir, o.memo);
  const t = kernelTarget(o.arch, o.arch === "arm64" ? "arm64" : "x64");
  const fragments = fragmentPaths(o.arch, o.configDir);
  const product = kernelProduct(o, src.sha256, fragments, "container", t.file);
  const key = product.key;
  return produce({
    ...product,
    build: async (out) => {
      const workDir = join(o.cacheDir, "build", "container", `kernel-${o.arch}-${src.sha256.slice(0, 16)}`);
      const argv = containerBuildArgv({
        engine,
        arch: o.arch,
        repoDir: REPO_ROOT,
        tarball: src.tarball,
        workDir,
        jobs: o.jobs ?? cpus().length,
      });
      const logFile = join(o.cacheDir, "build", "logs", `kernel-${o.arch}-${key}.log`);
      const [file, ...args] = argv as [string, ...string[]];
      await runLogged({ file, args, logFile, what: `kernel ${o.arch} container build` });
      const config = readFileSync(join(workDir, "obj", ".config"), "utf8");
      assertConfig(requestedOptions(fragments), config, "the container's .config");
      if (!existsSync(join(workDir, "obj", t.output)))
        throw failedPrecondition(`no ${t.output} after the build`);
      await copyFile(join(workDir, "obj", t.output), join(out, t.file));
      await copyFile(join(workDir, "obj", ".config"), join(out, "config"));
      return { source: `${src.origin}:${src.tarball}`, config: sha256(config).slice(0, 12) };
    },
  });
}
