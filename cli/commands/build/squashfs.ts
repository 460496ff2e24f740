import { buildAgent } from "../../../lib/build/agent.ts";
import { buildBusybox } from "../../../lib/build/busybox.ts";
import { buildSquashfs } from "../../../lib/build/squashfs.ts";
import { command } from "../../command.ts";
import { archArg, forceArg, runBuild } from "./_shared.ts";

export default command({
  meta: {
    name: "squashfs",
    description: "Build the mbin squashfs: agent, runc and its libraries, tini, busybox",
  },
  args: { ...archArg, ...forceArg },
  examples: ["runm build squashfs", "runm build squashfs --force"],
  run: ({ args }) =>
    runBuild(args.arch, async (c) => {
      const busybox = await buildBusybox(c);
      const agent = await buildAgent({ ...c, force: args.force });
      const squashfs = await buildSquashfs({ ...c, busybox, agent, force: args.force });
      return [busybox, ...(agent ? [agent] : []), squashfs];
    }),
});
