import { buildBusybox } from "../../../lib/build/busybox.ts";
import { command } from "../../command.ts";
import { archArg, forceArg, parseJobs, runBuild } from "./_shared.ts";

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
  run: ({ args }) =>
    runBuild(args.arch, async (c) => [
      await buildBusybox({
        ...c,
        binary: args.binary,
        source: args.source,
        jobs: parseJobs(args.jobs),
        force: args.force,
      }),
    ]),
});
