import { command } from "../../command.ts";

export default command({
  meta: { name: "build", description: "Build the guest image: kernel, busybox, initramfs, mbin squashfs" },
  subCommands: {
    all: () => import("./all.ts").then((m) => m.default),
    kernel: () => import("./kernel.ts").then((m) => m.default),
    busybox: () => import("./busybox.ts").then((m) => m.default),
    initramfs: () => import("./initramfs.ts").then((m) => m.default),
    squashfs: () => import("./squashfs.ts").then((m) => m.default),
    template: () => import("./template.ts").then((m) => m.default),
  },
});
