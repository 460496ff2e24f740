// `runm image build`: make an OCI archive for a local image, content-addressed in the cache so a
// second build of the same inputs is instant and byte-identical.
import { createHash } from "node:crypto";
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { copyFile, mkdir, rename } from "node:fs/promises";
import { dirname, join } from "node:path";
import { type GuestArch, hostGuestArch, LOCAL_IMAGE_REFS, type LocalImageKind } from "../constants.ts";
import { invalidArgument } from "../errors.ts";
import { tempSibling, writeFileAtomic } from "../fs-atomic.ts";
import { logger } from "../log.ts";
import { dirs } from "../paths.ts";
import { busyboxRootfs, findBusybox } from "./busybox-rootfs.ts";
import { debianRootfsTar, defaultDebianOptions } from "./debian-rootfs.ts";
import { nginxImage } from "./nginx-image.ts";
import { type ImageConfig, ociArchive } from "./oci-layout.ts";
import { postgresImage } from "./postgres-image.ts";
import type { ServiceImage } from "./service-image.ts";
import { tarBytes } from "./tar.ts";

const log = logger("image");

/** Bump when the image layout changes, so cached archives are rebuilt. */
const BUILDER_VERSION = "1";

const PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

export interface BuildImageOptions {
  ref?: string;
  /** The image's arch (default: the host's). Only busybox is made for another arch. */
  arch?: GuestArch;
  /** Rebuild even when the cache has it (Debian archives are not reproducible). */
  force?: boolean;
  cacheDir?: string;
}

export interface BuiltImage {
  kind: LocalImageKind;
  ref: string;
  /** The OCI archive in the cache. */
  path: string;
  manifestDigest: string;
  cached: boolean;
}

interface Recipe {
  key: string;
  /** Layers bottom first. */
  build: (
    workDir: string,
    force: boolean,
  ) => Promise<{ layers: Uint8Array<ArrayBuffer>[]; config: ImageConfig }>;
}

async function recipe(kind: LocalImageKind, ref: string, arch: GuestArch): Promise<Recipe> {
  const h = createHash("sha256").update(`${BUILDER_VERSION}\0${kind}\0${ref}\0`);
  if (kind === "busybox" || kind === "pause") {
    const bb = await findBusybox(arch);
    h.update(readFileSync(bb.binary)).update(bb.applets.join("\n"));
    // The pause image holds the pod's namespaces and does nothing else.
    const cmd = kind === "pause" ? ["sleep", "2147483647"] : ["sh"];
    return {
      key: h.digest("hex").slice(0, 16),
      build: async () => ({
        layers: [tarBytes(busyboxRootfs(bb))],
        config: { env: [PATH_ENV], cmd, arch },
      }),
    };
  }
  if (arch !== hostGuestArch())
    throw invalidArgument(`the ${kind} image is made for this host's arch only, not ${arch}`, {
      hint: "debootstrap runs the packages' scripts, which needs the host's arch; build busybox for another arch",
    });
  const opts = defaultDebianOptions();
  h.update(`${opts.suite}\0${opts.mirror}`);
  if (kind === "bun") {
    // The runtime this very Bun is (setup installs it): the image runs what the host runs.
    const bun = realpathSync(process.execPath);
    h.update(readFileSync(bun));
    return {
      key: h.digest("hex").slice(0, 16),
      build: async (workDir, force) => ({
        layers: [await debianLayer(opts, workDir, force), bunLayer(bun)],
        config: { env: [PATH_ENV], cmd: ["bun", "repl"] },
      }),
    };
  }
  const service = SERVICE_IMAGES[kind];
  if (service) {
    const withPackages = { ...opts, include: service.packages };
    // Everything that shapes the image: its packages, its own layer and its config.
    const layer = service.layer();
    h.update(service.packages.join(","))
      .update(layer)
      .update(JSON.stringify([service.env, service.cmd]));
    return {
      key: h.digest("hex").slice(0, 16),
      build: async (workDir, force) => ({
        layers: [await debianLayer(withPackages, workDir, force), layer],
        config: { env: [PATH_ENV, ...service.env], cmd: service.cmd },
      }),
    };
  }
  return {
    key: h.digest("hex").slice(0, 16),
    build: async (workDir, force) => ({
      layers: [await debianLayer(opts, workDir, force)],
      config: { env: [PATH_ENV], cmd: ["bash"] },
    }),
  };
}

/** The images of a service made from Debian packages (what a registry would serve officially). */
const SERVICE_IMAGES: Partial<Record<LocalImageKind, ServiceImage>> = {
  nginx: nginxImage,
  postgres: postgresImage,
};

/**
 * The Debian root filesystem as a layer tar, debootstrapped once into the image cache and kept:
 * the debian and bun images share it (debootstrap takes minutes; Debian's output is not
 * reproducible, so `force` makes a new one).
 */
async function debianLayer(
  opts: ReturnType<typeof defaultDebianOptions>,
  root: string,
  force: boolean,
): Promise<Uint8Array<ArrayBuffer>> {
  const packages = opts.include?.length ? `\0${opts.include.join(",")}` : "";
  const key = createHash("sha256")
    .update(`${BUILDER_VERSION}\0${opts.suite}\0${opts.mirror}${packages}`)
    .digest("hex");
  const file = join(root, `debian-rootfs-${key.slice(0, 16)}.tar`);
  if (!force && existsSync(file)) return new Uint8Array(readFileSync(file));
  const tar = await debianRootfsTar(opts, root);
  await writeFileAtomic(file, tar);
  return tar;
}

/** A layer holding one file: the host's Bun at /usr/local/bin/bun. */
function bunLayer(bun: string): Uint8Array<ArrayBuffer> {
  return tarBytes([
    { type: "dir", path: "usr", mode: 0o755 },
    { type: "dir", path: "usr/local", mode: 0o755 },
    { type: "dir", path: "usr/local/bin", mode: 0o755 },
    { type: "file", path: "usr/local/bin/bun", mode: 0o755, data: new Uint8Array(readFileSync(bun)) },
  ]);
}

/** The plain Debian root filesystem (minbase) as a tar, from the image cache (debootstrap once). */
export function debianRootfs(cacheDir = dirs().cache): Promise<Uint8Array<ArrayBuffer>> {
  return debianLayer(defaultDebianOptions(), imageCacheDir(cacheDir), false);
}

export function imageCacheDir(cacheDir = dirs().cache): string {
  return join(cacheDir, "images");
}

/** The default ref of a local image: the host arch's has the plain tag, another arch's says which. */
export function localImageRef(kind: LocalImageKind, arch: GuestArch = hostGuestArch()): string {
  const ref = LOCAL_IMAGE_REFS[kind];
  return arch === hostGuestArch() ? ref : `${ref}-${arch}`;
}

export async function buildImage(kind: LocalImageKind, opts: BuildImageOptions = {}): Promise<BuiltImage> {
  const arch = opts.arch ?? hostGuestArch();
  const ref = opts.ref ?? localImageRef(kind, arch);
  const r = await recipe(kind, ref, arch);
  const root = imageCacheDir(opts.cacheDir);
  const path = join(root, `${kind}-${r.key}.oci.tar`);
  const meta = `${path}.json`;
  if (!opts.force && existsSync(path) && existsSync(meta)) {
    const m = JSON.parse(readFileSync(meta, "utf8")) as { manifestDigest: string };
    log.debug(`${kind} image cached at ${path}`);
    return { kind, ref, path, manifestDigest: m.manifestDigest, cached: true };
  }
  await mkdir(root, { recursive: true });
  const { layers, config } = await r.build(root, opts.force ?? false);
  const archive = ociArchive(layers, config, ref);
  await writeFileAtomic(path, archive.bytes);
  await writeFileAtomic(meta, JSON.stringify({ ref, manifestDigest: archive.manifestDigest }, null, 2));
  log.info(`built ${ref} (${archive.manifestDigest.slice(0, 19)}, ${mib(archive.bytes.length)})`);
  return { kind, ref, path, manifestDigest: archive.manifestDigest, cached: false };
}

/** Copy a built archive to a user-chosen file, atomically. */
export async function exportArchive(img: BuiltImage, output: string): Promise<void> {
  await mkdir(dirname(output), { recursive: true });
  const tmp = tempSibling(output);
  await copyFile(img.path, tmp);
  await rename(tmp, output);
}

const mib = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;
