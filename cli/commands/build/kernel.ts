import { buildKernel } from "../../../lib/build/kernel.ts";
import { command } from "../../command.ts";
import { archArg, forceArg, parseJobs, runBuild } from "./_shared.ts";

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
    let info: Record<string, unknown> = {};
    await runBuild(args.arch, async (c) => {
      const kernel = await buildKernel({
        ...c,
        source: { flag: args.source },
        jobs: parseJobs(args.jobs),
        force: args.force,
      });
      info = kernel.info;
      return [kernel];
    });
    process.stdout.write(
      `config ${info.config ?? "?"}  source ${info.source ?? "?"}${info.makeSeconds ? `  make ${info.makeSeconds} s` : ""}\n`,
    );
  },
});
