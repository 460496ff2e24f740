import { buildBusybox } from "../../../lib/build/busybox.ts";
import { buildInitramfs } from "../../../lib/build/initramfs.ts";
import { command } from "../../command.ts";
import { archArg, forceArg, runBuild } from "./_shared.ts";

export default command({
  meta: {
    name: "initramfs",
    description: "Build the initramfs: /init (initramfs/init) and busybox, as gzip newc cpio",
  },
  args: { ...archArg, ...forceArg },
  examples: ["runm build initramfs", "runm build initramfs --force"],
  run: ({ args }) =>
    runBuild(args.arch, async (c) => {
      const busybox = await buildBusybox(c);
      return [busybox, await buildInitramfs({ ...c, busybox, force: args.force })];
    }),
});
