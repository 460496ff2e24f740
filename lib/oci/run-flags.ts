// Parsing the `-u UID[:GID]` and `-v SRC:DST[:ro]` / `-p HOST:GUEST` flags of `runm vm run`.
import { isAbsolute, resolve } from "node:path";
import { invalidArgument } from "../errors.ts";

const num = (s: string, what: string, flag: string): number => {
  if (!/^\d+$/.test(s)) throw invalidArgument(`bad ${what} "${s}" in ${flag}`, { hint: "use numbers" });
  return Number(s);
};

/** `1000` → {uid 1000, gid 1000}; `1000:50` → {uid 1000, gid 50}. Names are not resolved. */
export function parseUser(spec: string): { uid: number; gid: number } {
  const [u, g, extra] = spec.split(":");
  if (extra !== undefined || !u) {
    throw invalidArgument(`bad --user "${spec}"`, { hint: "write it as UID or UID:GID, e.g. -u 1000:1000" });
  }
  const uid = num(u, "uid", "--user");
  return { uid, gid: g === undefined ? uid : num(g, "gid", "--user") };
}

export interface VolumeSpec {
  /** Absolute host path. */
  source: string;
  destination: string;
  readOnly: boolean;
}

export function parseVolume(spec: string, cwd = process.cwd()): VolumeSpec {
  const parts = spec.split(":");
  const [src, dst, mode, extra] = parts;
  if (!src || !dst || extra !== undefined || (mode !== undefined && mode !== "ro" && mode !== "rw")) {
    throw invalidArgument(`bad --volume "${spec}"`, {
      hint: "write it as SRC:DST or SRC:DST:ro, e.g. -v ./data:/data:ro",
    });
  }
  if (!isAbsolute(dst)) throw invalidArgument(`volume destination must be absolute: ${dst}`);
  return { source: resolve(cwd, src), destination: dst, readOnly: mode === "ro" };
}

export interface PortSpec {
  host: number;
  guest: number;
}

export function parsePort(spec: string): PortSpec {
  const m = /^(\d{1,5}):(\d{1,5})$/.exec(spec);
  const host = Number(m?.[1]);
  const guest = Number(m?.[2]);
  if (!m || host < 1 || host > 65535 || guest < 1 || guest > 65535) {
    throw invalidArgument(`bad --publish "${spec}"`, { hint: "write it as HOST:GUEST, e.g. -p 8080:80" });
  }
  return { host, guest };
}
