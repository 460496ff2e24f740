import { buildBusybox } from "../../../lib/build/busybox.ts";
import { HashMemo } from "../../../lib/build/hash.ts";
import { buildInitramfs } from "../../../lib/build/initramfs.ts";
import { dirs } from "../../../lib/paths.ts";
import { command } from "../../command.ts";
import { archArg, forceArg, parseArch, printArtifacts } from "./_shared.ts";

export default command({
  meta: {
    name: "initramfs",
    description: "Build the initramfs: /init (initramfs/init) and busybox, as gzip newc cpio",
  },
  args: { ...archArg, ...forceArg },
  examples: ["runm build initramfs", "runm build initramfs --force"],
  async run({ args }) {
    const cacheDir = dirs().cache;
    const arch = parseArch(args.arch);
    const memo = HashMemo.in(cacheDir);
    try {
      const busybox = await buildBusybox({ arch, cacheDir, memo });
      printArtifacts([busybox, await buildInitramfs({ arch, cacheDir, busybox, force: args.force })]);
    } finally {
      await memo.save();
    }
  },
});
