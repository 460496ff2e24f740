import { runDevContainerd } from "../../../lib/dev/dev-containerd.ts";
import { command } from "../../command.ts";

export default command({
  meta: {
    name: "containerd",
    description: "Run containerd in the foreground with the runm runtime, streaming every shim and VM log",
  },
  args: {
    clean: { type: "boolean", description: "Start from empty state and wipe it (images, snapshots) on exit" },
    cri: { type: "boolean", description: "Keep containerd's CRI plugin on (off by default)" },
    build: {
      type: "boolean",
      default: true,
      description: "Rebuild the guest image and shim when stale (--no-build: use what is there)",
    },
  },
  examples: [
    "runm dev containerd",
    "runm dev containerd --clean",
    'eval "$(runm dev env)"  # in another terminal',
  ],
  async run({ args }) {
    const code = await runDevContainerd({ clean: args.clean, cri: args.cri, noBuild: !args.build });
    if (code) process.exitCode = code;
  },
});
