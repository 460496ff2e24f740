import { command } from "../../command.ts";

export default command({
  meta: { name: "build", description: "Build the guest image: kernel, busybox, initramfs, mbin squashfs" },
  subCommands: {
    // each subcommand in its own file, lazily imported: name: () => import("./x.ts").then((m) => m.default),
  },
});
