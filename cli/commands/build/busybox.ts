import { buildBusybox } from "../../../lib/build/busybox.ts";
import { HashMemo } from "../../../lib/build/hash.ts";
import { dirs } from "../../../lib/paths.ts";
import { command } from "../../command.ts";
import { archArg, forceArg, parseArch, printArtifacts } from "./_shared.ts";

export default command({
  meta: {
    name: "busybox",
    description: "Check and cache the guest's static busybox (Debian's busybox-static by default)",
  },
  args: {
    ...archArg,
    binary: { type: "string", description: "A static busybox to use instead of Debian's" },
    ...forceArg,
  },
  examples: ["runm build busybox", "runm build busybox --binary ./busybox-arm64 --arch arm64"],
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
