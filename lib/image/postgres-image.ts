// The postgres image's part on top of Debian: the server, nss_wrapper for an unnamed --user, and
// an entrypoint with the official image's environment (POSTGRES_USER, POSTGRES_PASSWORD,
// POSTGRES_DB, PGDATA).
// The script is imported as text so a compiled runm embeds it.
import ENTRYPOINT from "./postgres-entrypoint.sh" with { type: "text" };
import type { ServiceImage } from "./service-image.ts";
import { tarBytes } from "./tar.ts";

export const postgresImage: ServiceImage = {
  // The host suite's server (15 on bookworm); the entrypoint finds its bin dir.
  packages: ["postgresql", "libnss-wrapper"],
  identity: [ENTRYPOINT],
  layer: () =>
    tarBytes([
      { type: "dir", path: "usr", mode: 0o755 },
      { type: "dir", path: "usr/local", mode: 0o755 },
      { type: "dir", path: "usr/local/bin", mode: 0o755 },
      { type: "file", path: "usr/local/bin/runm-postgres-entrypoint", mode: 0o755, data: ENTRYPOINT },
      { type: "dir", path: "var", mode: 0o755 },
      { type: "dir", path: "var/lib", mode: 0o755 },
      { type: "dir", path: "var/lib/postgresql", mode: 0o755 },
      { type: "dir", path: "var/lib/postgresql/data", mode: 0o700 },
    ]),
  env: ["PGDATA=/var/lib/postgresql/data", "LANG=C.UTF-8"],
  cmd: ["runm-postgres-entrypoint"],
};
