// The postgres image's part on top of Debian: the server, nss_wrapper for an unnamed --user, and
// an entrypoint with the official image's environment (POSTGRES_USER, POSTGRES_PASSWORD,
// POSTGRES_DB, PGDATA).
//
// The script is imported as text so a compiled runm embeds it.
import ENTRYPOINT from "./postgres-entrypoint.sh" with { type: "text" };
import { type ServiceImage, smallLayer } from "./service-image.ts";

export const postgresImage: ServiceImage = {
  // The host suite's server (15 on bookworm); the entrypoint finds its bin dir.
  packages: ["postgresql", "libnss-wrapper"],
  layer: () =>
    smallLayer([{ path: "usr/local/bin/runm-postgres-entrypoint", mode: 0o755, data: ENTRYPOINT }]),
  env: ["PGDATA=/var/lib/postgresql/data", "LANG=C.UTF-8"],
  cmd: ["runm-postgres-entrypoint"],
};
