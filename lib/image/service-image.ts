// An image made of Debian packages plus a small layer of runm's own (a start script, a template):
// the offline stand-ins for the official nginx and postgres images.
export interface ServiceImage {
  /** Debian packages installed on top of minbase (debootstrap --include). */
  packages: string[];
  /** Everything else that shapes the image (scripts, templates): part of its cache key. */
  identity: string[];
  /** The layer above the Debian one. */
  layer: () => Uint8Array<ArrayBuffer>;
  /** Image env beyond PATH. */
  env: string[];
  cmd: string[];
}
