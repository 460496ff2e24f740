// Packs layers (bottom first) and an image config into an OCI image layout archive (oci-layout, index.json,
// blobs/sha256/*) that `ctr images import` and `nerdctl load` accept. JSON is serialised with
// sorted keys so the digests depend only on the inputs.
import { createHash } from "node:crypto";
import { type GuestArch, hostGuestArch } from "../constants.ts";
import { type TarEntry, tarBytes } from "./tar.ts";

export interface ImageConfig {
  env: string[];
  cmd: string[];
  workingDir?: string;
  user?: string;
  /** Whose binaries the layers hold (default: the host's arch). */
  arch?: GuestArch;
}

export interface OciArchive {
  /** The archive itself (an uncompressed tar of the layout). */
  bytes: Uint8Array;
  /** Digest of the image manifest: the image's identity. */
  manifestDigest: string;
  /** Digest of the image config (what `ctr images ls` calls the config). */
  configDigest: string;
  ref: string;
}

export const sha256 = (b: Uint8Array | string) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

/** JSON with object keys sorted, for stable digests. */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(v, (_k, val) =>
    val && typeof val === "object" && !Array.isArray(val)
      ? Object.fromEntries(Object.entries(val).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : val,
  );
}

/** The OCI (Go) name of each guest arch. */
const OCI_ARCH: Record<GuestArch, string> = { x86_64: "amd64", arm64: "arm64" };

export function ociArchive(
  layerTars: Uint8Array<ArrayBuffer>[],
  config: ImageConfig,
  ref: string,
): OciArchive {
  const layers = layerTars.map((tar) => {
    const gz = Bun.gzipSync(tar, { level: 6 });
    return { gz, diffId: sha256(tar), digest: sha256(gz), size: gz.length };
  });
  const configJson = canonicalJson({
    architecture: OCI_ARCH[config.arch ?? hostGuestArch()],
    os: "linux",
    config: {
      Env: config.env,
      Cmd: config.cmd,
      ...(config.workingDir ? { WorkingDir: config.workingDir } : {}),
      ...(config.user ? { User: config.user } : {}),
    },
    rootfs: { type: "layers", diff_ids: layers.map((l) => l.diffId) },
    history: [{ created_by: "runm image build", created: "1970-01-01T00:00:00Z" }],
    created: "1970-01-01T00:00:00Z",
  });
  const configDesc = { mediaType: "application/vnd.oci.image.config.v1+json", ...blob(configJson) };
  const manifestJson = canonicalJson({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: configDesc,
    layers: layers.map((l) => ({
      mediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
      digest: l.digest,
      size: l.size,
    })),
  });
  const manifest = blob(manifestJson);
  const index = canonicalJson({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.index.v1+json",
    manifests: [
      {
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        ...manifest,
        platform: { architecture: OCI_ARCH[config.arch ?? hostGuestArch()], os: "linux" },
        // containerd takes the full name from the first, other tools the tag from the second.
        annotations: {
          "io.containerd.image.name": ref,
          "org.opencontainers.image.ref.name": ref.split(":").pop() ?? "latest",
        },
      },
    ],
  });
  const hex = (d: string) => d.slice("sha256:".length);
  const entries: TarEntry[] = [
    { type: "dir", path: "blobs", mode: 0o755 },
    { type: "dir", path: "blobs/sha256", mode: 0o755 },
    ...layers.map(
      (l): TarEntry => ({ type: "file", path: `blobs/sha256/${hex(l.digest)}`, mode: 0o644, data: l.gz }),
    ),
    { type: "file", path: `blobs/sha256/${hex(configDesc.digest)}`, mode: 0o644, data: configJson },
    { type: "file", path: `blobs/sha256/${hex(manifest.digest)}`, mode: 0o644, data: manifestJson },
    { type: "file", path: "index.json", mode: 0o644, data: index },
    { type: "file", path: "oci-layout", mode: 0o644, data: '{"imageLayoutVersion":"1.0.0"}' },
  ];
  return { bytes: tarBytes(entries), manifestDigest: manifest.digest, configDigest: configDesc.digest, ref };
}

function blob(json: string) {
  return { digest: sha256(json), size: Buffer.byteLength(json) };
}
