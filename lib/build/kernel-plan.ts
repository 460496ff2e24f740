// The kernel build as a list of commands, independent of where they run: natively on Linux, or
// wrapped into one `docker|podman run` on macOS (kernel-container.ts). Pure, so it is unit-tested.
import type { GuestArch } from "../constants.ts";

export interface KernelTarget {
  /** Kbuild ARCH. */
  karch: string;
  /** make target and where it lands under O=. */
  target: string;
  output: string;
  /** Artifact file name in the cache. */
  file: string;
  /** Compiler that must exist (named with its apt package when missing). */
  cc: string;
  crossCompile?: string;
}

export function kernelTarget(arch: GuestArch, hostArch: string = process.arch): KernelTarget {
  if (arch === "x86_64") {
    const cross = hostArch === "x64" ? undefined : "x86_64-linux-gnu-";
    // QEMU microvm boots the uncompressed ELF through its PVH note.
    return {
      karch: "x86_64",
      target: "vmlinux",
      output: "vmlinux",
      file: "vmlinux",
      cc: `${cross ?? ""}gcc`,
      crossCompile: cross,
    };
  }
  const cross = hostArch === "arm64" ? undefined : "aarch64-linux-gnu-";
  // Virtualization.framework wants the uncompressed arm64 Image.
  return {
    karch: "arm64",
    target: "Image",
    output: "arch/arm64/boot/Image",
    file: "Image",
    cc: `${cross ?? ""}gcc`,
    crossCompile: cross,
  };
}

export interface PlanStep {
  what: string;
  /** Program and arguments; run with cwd = the source tree. */
  argv: string[];
}

export interface KernelPlanInput {
  arch: GuestArch;
  srcDir: string;
  objDir: string;
  fragments: string[];
  jobs: number;
  hostArch?: string;
}

/** make variables every step shares. */
export function makeVars(t: KernelTarget, objDir: string): string[] {
  return [`ARCH=${t.karch}`, `O=${objDir}`, ...(t.crossCompile ? [`CROSS_COMPILE=${t.crossCompile}`] : [])];
}

/** Environment merge_config.sh reads (it calls make itself). */
export function planEnv(t: KernelTarget): Record<string, string> {
  return { ARCH: t.karch, ...(t.crossCompile ? { CROSS_COMPILE: t.crossCompile } : {}) };
}

/** configure (tinyconfig + fragments) and build steps; verification happens between them. */
export function kernelPlan(p: KernelPlanInput): { configure: PlanStep[]; build: PlanStep[] } {
  const t = kernelTarget(p.arch, p.hostArch);
  const vars = makeVars(t, p.objDir);
  return {
    configure: [
      { what: "make tinyconfig", argv: ["make", ...vars, "tinyconfig"] },
      {
        what: "merge_config.sh",
        argv: ["scripts/kconfig/merge_config.sh", "-O", p.objDir, `${p.objDir}/.config`, ...p.fragments],
      },
    ],
    build: [{ what: `make ${t.target}`, argv: ["make", ...vars, `-j${p.jobs}`, t.target] }],
  };
}
