import { existsSync } from "node:fs";
import { LOCAL_IMAGE_REFS, type LocalImageKind } from "../../../lib/constants.ts";
import { devLayout } from "../../../lib/dev/layout.ts";
import { failedPrecondition, invalidArgument } from "../../../lib/errors.ts";
import { buildImage, exportArchive } from "../../../lib/image/build.ts";
import { busyboxRootfs, findBusybox } from "../../../lib/image/busybox-rootfs.ts";
import { importImage } from "../../../lib/image/import.ts";
import { writeRootfsDir } from "../../../lib/image/rootfs-dir.ts";
import { logger } from "../../../lib/log.ts";
import { archArg, parseArch } from "../../arch.ts";
import { command } from "../../command.ts";

const log = logger("image");
const KINDS = Object.keys(LOCAL_IMAGE_REFS) as LocalImageKind[];

export default command({
  meta: {
    name: "build",
    description: "Build an OCI image (busybox from busybox-static, debian by debootstrap) and import it",
  },
  args: {
    kind: { type: "positional", description: KINDS.join(" | "), required: true },
    tag: { type: "string", description: "Image reference (default: localhost/runm/<kind>:...)" },
    address: {
      type: "string",
      description: "containerd socket to import into (default: the dev containerd)",
    },
    output: { type: "string", description: "Also write the OCI archive to this file" },
    rootfs: {
      type: "string",
      description: "Write the busybox root filesystem to this directory instead (for runm vm run)",
    },
    force: { type: "boolean", description: "Rebuild even if the cache has it" },
    ...archArg,
  },
  examples: [
    "runm image build busybox",
    "runm image build debian --tag localhost/runm/debian:bookworm",
    "runm image build busybox --output busybox.oci.tar",
    "runm image build busybox --rootfs ./rootfs && runm vm run --rootfs ./rootfs -- echo hi",
    "runm image build busybox --address /run/containerd/containerd.sock",
    "runm image build busybox --arch arm64 --rootfs ./arm64-rootfs",
  ],
  async run({ args }) {
    const kind = args.kind as LocalImageKind;
    const arch = parseArch(args.arch);
    if (!KINDS.includes(kind))
      throw invalidArgument(`unknown image "${args.kind}"`, { hint: `choose one of: ${KINDS.join(", ")}` });
    if (args.rootfs) {
      if (kind !== "busybox")
        throw invalidArgument(`--rootfs writes the busybox image only, not ${kind}`, {
          hint: "use --output FILE and unpack its layer, or --rootfs with busybox",
        });
      await writeRootfsDir(busyboxRootfs(await findBusybox(arch)), args.rootfs);
      log.info(`wrote the ${arch} busybox root filesystem to ${args.rootfs}`);
      return;
    }
    const address = args.address ?? devLayout().address;
    const canImport = args.address !== undefined || existsSync(address);
    if (!canImport && !args.output)
      throw failedPrecondition(`no dev containerd is running (no socket at ${address})`, {
        hint: "start it with: runm dev containerd, or pass --address SOCK or --output FILE",
      });
    const img = await buildImage(kind, { ref: args.tag, force: args.force, arch });
    if (args.output) {
      await exportArchive(img, args.output);
      log.info(`wrote ${args.output}`);
    }
    if (canImport) {
      await importImage(img.path, { address });
      log.info(`imported ${img.ref} into ${address}`);
    }
    process.stdout.write(`${img.ref} ${img.manifestDigest}\n`);
  },
});
