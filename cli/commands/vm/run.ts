import { resolve } from "node:path";
import { parsePort, parseUser, parseVolume } from "../../../lib/oci/run-flags.ts";
import { runContainer } from "../../../lib/vm/container-run.ts";
import { DEFAULT_VM_CPUS, DEFAULT_VM_MEMORY_MIB } from "../../../lib/vm/defaults.ts";
import { archArg, parseArch } from "../../arch.ts";
import { afterDoubleDash, repeated, UsageError } from "../../args.ts";
import { command } from "../../command.ts";

const positiveInt = (v: string | undefined, flag: string, fallback: number): number => {
  if (v === undefined) return fallback;
  if (!/^\d+$/.test(v) || Number(v) < 1)
    throw new UsageError(`bad --${flag} "${v}": want a positive integer`);
  return Number(v);
};

export default command({
  meta: { name: "run", description: "Boot a micro-VM and run one command as an OCI container in it" },
  args: {
    rootfs: { type: "string", description: "Container root filesystem directory", required: true },
    tty: { type: "boolean", alias: "t", description: "Give the container a terminal" },
    interactive: { type: "boolean", alias: "i", description: "Forward stdin" },
    env: { type: "string", alias: "e", description: "KEY=VALUE (repeatable)" },
    workdir: { type: "string", alias: "w", description: "Working directory in the container" },
    user: { type: "string", alias: "u", description: "UID[:GID]" },
    volume: { type: "string", alias: "v", description: "SRC:DST[:ro] (repeatable)" },
    publish: { type: "string", alias: "p", description: "HOST:GUEST TCP port on 127.0.0.1 (repeatable)" },
    cpus: {
      type: "string",
      description: `vCPUs (default ${DEFAULT_VM_CPUS} here: 2 on hosts with 4+ cores, else 1)`,
    },
    memory: { type: "string", description: `VM memory in MiB (default ${DEFAULT_VM_MEMORY_MIB})` },
    "memory-limit": { type: "string", description: "The container's cgroup memory limit in MiB" },
    share: { type: "string", description: "Directory shares: 9p (default) or virtiofs" },
    cold: { type: "boolean", description: "Boot the VM instead of restoring it from a template" },
    "guest-runtime": { type: "string", description: "The OCI runtime in the guest: runc (default) or crun" },
    timings: { type: "boolean", description: "Print the boot timeline to stderr" },
    ...archArg,
  },
  examples: [
    "runm vm run --rootfs ./rootfs -- echo hello",
    "runm vm run --rootfs ./rootfs -it -- sh",
    "runm vm run --rootfs ./rootfs -e A=1 -w /tmp -u 1000:1000 -v ./data:/data:ro -- ls /data",
    "runm vm run --rootfs ./rootfs --timings -- true",
    "runm vm run --arch arm64 --rootfs ./arm64-rootfs -- uname -m",
  ],
  async run({ args, rawArgs }) {
    const cmd = afterDoubleDash(rawArgs);
    if (cmd.length === 0) throw new UsageError("no command: put it after --, e.g. -- echo hello");
    const runtime = args["guest-runtime"];
    if (runtime !== undefined && runtime !== "runc" && runtime !== "crun")
      throw new UsageError(`bad --guest-runtime "${runtime}": want runc or crun`);
    if (args.share !== undefined && args.share !== "9p" && args.share !== "virtiofs") {
      throw new UsageError(`bad --share "${args.share}": want 9p or virtiofs`);
    }
    const { exitCode, timeline } = await runContainer({
      rootfs: resolve(args.rootfs),
      args: cmd,
      env: repeated(rawArgs, ["e", "env"]),
      cwd: args.workdir,
      user: args.user ? parseUser(args.user) : undefined,
      tty: args.tty,
      interactive: args.interactive,
      volumes: repeated(rawArgs, ["v", "volume"]).map((v) => parseVolume(v)),
      ports: repeated(rawArgs, ["p", "publish"]).map(parsePort),
      cpus: positiveInt(args.cpus, "cpus", DEFAULT_VM_CPUS),
      memoryMiB: positiveInt(args.memory, "memory", DEFAULT_VM_MEMORY_MIB),
      memoryLimitMiB:
        args["memory-limit"] === undefined ? undefined : positiveInt(args["memory-limit"], "memory-limit", 0),
      shareKind: args.share as "9p" | "virtiofs" | undefined,
      cold: args.cold,
      runtime,
      arch: parseArch(args.arch),
    });
    if (args.timings) process.stderr.write(`${timeline.format()}\n`);
    process.exitCode = exitCode;
  },
});
