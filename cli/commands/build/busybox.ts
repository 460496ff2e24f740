import { buildBusybox } from "../../../lib/build/busybox.ts";
import { HashMemo } from "../../../lib/build/hash.ts";
import { dirs } from "../../../lib/paths.ts";
import { command } from "../../command.ts";
import { archArg, forceArg, parseArch, parseJobs, printArtifacts } from "./_shared.ts";

export default command({
  meta: {
    name: "busybox",
    description: "Check and cache the guest's static busybox (Debian's busybox-static by default)",
  },
  args: {
    ...archArg,
    binary: { type: "string", description: "A static busybox to use instead of Debian's" },
    source: {
      type: "string",
      description:
        "Build from source: busybox-*.tar.bz2, a URL, or 'pinned' (busybox.net 1.35.0, sha256-checked)",
    },
    jobs: { type: "string", description: "make -j value (default: number of CPUs)" },
    ...forceArg,
  },
  examples: [
    "runm build busybox",
    "runm build busybox --source pinned",
    "runm build busybox --source ./busybox-1.35.0.tar.bz2 --arch arm64",
  ],
  async run({ args }) {
    const cacheDir = dirs().cache;
    const memo = HashMemo.in(cacheDir);
    try {
      printArtifacts([
        await buildBusybox({
          arch: parseArch(args.arch),
          cacheDir,
          memo,
          binary: args.binary,
          force: args.force,
        }),
      ]);
    } finally {
      await memo.save();
    }
  },
});
