import { buildAgent } from "../../../lib/build/agent.ts";
import { buildBusybox } from "../../../lib/build/busybox.ts";
import { HashMemo } from "../../../lib/build/hash.ts";
import { buildSquashfs } from "../../../lib/build/squashfs.ts";
import { dirs } from "../../../lib/paths.ts";
import { command } from "../../command.ts";
import { archArg, forceArg, parseArch, printArtifacts } from "./_shared.ts";

export default command({
  meta: {
    name: "squashfs",
    description: "Build the mbin squashfs: agent, runc and its libraries, tini, busybox",
  },
  args: { ...archArg, ...forceArg },
  examples: ["runm build squashfs", "runm build squashfs --force"],
  async run({ args }) {
    const cacheDir = dirs().cache;
    const arch = parseArch(args.arch);
    const memo = HashMemo.in(cacheDir);
    try {
      const busybox = await buildBusybox({ arch, cacheDir, memo });
      const agent = await buildAgent({ arch, cacheDir, force: args.force });
      const squashfs = await buildSquashfs({ arch, cacheDir, memo, busybox, agent, force: args.force });
      printArtifacts([busybox, ...(agent ? [agent] : []), squashfs]);
    } finally {
      await memo.save();
    }
  },
});
