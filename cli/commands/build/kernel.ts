import { HashMemo } from "../../../lib/build/hash.ts";
import { buildKernel } from "../../../lib/build/kernel.ts";
import { dirs } from "../../../lib/paths.ts";
import { command } from "../../command.ts";
import { archArg, forceArg, parseArch, parseJobs, printArtifacts } from "./_shared.ts";

export default command({
  meta: {
    name: "kernel",
    description: "Build the guest kernel (x86_64 PVH vmlinux, arm64 Image) from kernel-config/",
  },
  args: {
    ...archArg,
    source: {
      type: "string",
      description:
        "Kernel source tarball or URL (default: runm.toml, /usr/src/linux-source-*, pinned upstream)",
    },
    jobs: { type: "string", description: "make -j value (default: number of CPUs)" },
    ...forceArg,
  },
  examples: [
    "runm build kernel",
    "runm build kernel --arch arm64 --jobs 2",
    "runm build kernel --source ./linux-6.1.tar.xz --force",
  ],
  async run({ args }) {
    const cacheDir = dirs().cache;
    const memo = HashMemo.in(cacheDir);
    try {
      const kernel = await buildKernel({
        arch: parseArch(args.arch),
        cacheDir,
        memo,
        source: { flag: args.source },
        jobs: parseJobs(args.jobs),
        force: args.force,
      });
      printArtifacts([kernel]);
      const i = kernel.info;
      process.stdout.write(
        `config ${i.config ?? "?"}  source ${i.source ?? "?"}${i.makeSeconds ? `  make ${i.makeSeconds} s` : ""}\n`,
      );
    } finally {
      await memo.save();
    }
  },
});
