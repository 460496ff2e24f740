// Where `runm install` puts things, and how the installed shim finds them again. The shim is a
// compiled binary at <prefix>/bin/containerd-shim-runm-v2; beside the guest image it finds the
// install record <prefix>/lib/runm/install.json, which names its system paths (state under
// /run/runm, config in /etc/runm), so it never uses the home of whoever runs containerd.
import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { RUNM_SHIM_BINARY } from "../constants.ts";
import { failedPrecondition, messageOf } from "../errors.ts";

export interface InstallOptions {
  /** bin/ and lib/runm/ go here (default /usr/local). */
  prefix: string;
  /** runm/runm.toml goes here (default /etc). */
  sysconfdir: string;
  /** The installed shim's state: per-VM runtime dirs (default /run/runm). */
  stateDir: string;
  /** containerd's config file, which gets one import line (default /etc/containerd/config.toml). */
  containerdConfig: string;
}

export const DEFAULT_INSTALL: InstallOptions = {
  prefix: "/usr/local",
  sysconfdir: "/etc",
  stateDir: "/run/runm",
  containerdConfig: "/etc/containerd/config.toml",
};

export interface InstallPaths {
  shim: string;
  /** The installed image store: guest/<arch>/ as in the cache, read-only to the shim. */
  libDir: string;
  record: string;
  configDir: string;
  runtimeConfig: string;
  /** The runtime's registration, imported by containerd's config. */
  dropIn: string;
}

/** The install record under `prefix`: where install writes it and the installed shim looks. */
export const installRecordPath = (prefix: string) => join(prefix, "lib", "runm", "install.json");

export function installPaths(o: InstallOptions): InstallPaths {
  const libDir = join(o.prefix, "lib", "runm");
  const configDir = join(o.sysconfdir, "runm");
  return {
    shim: join(o.prefix, "bin", RUNM_SHIM_BINARY),
    libDir,
    record: installRecordPath(o.prefix),
    configDir,
    runtimeConfig: join(configDir, "runm.toml"),
    dropIn: join(dirname(o.containerdConfig), "conf.d", "runm.toml"),
  };
}

/** What install did, so uninstall undoes exactly that and the shim finds its paths. */
export interface InstallRecord {
  version: 1;
  options: InstallOptions;
  /** Files install wrote (removed by uninstall), with the sha256 they had. */
  files: { path: string; sha256: string }[];
  /** Dirs install created, deepest first (removed by uninstall when empty). */
  dirs: string[];
  /**
   * containerd's config: whether install created it, the copy taken before the first edit, and
   * which edit it got (drop-in import or marked block: drop-in.ts).
   */
  containerdConfig: { path: string; created: boolean; backup?: string; edit?: "import" | "block" };
}

/** The record an installed shim sits beside, or undefined for any other binary (dev: bun). */
export function installedRecordFor(execPath: string): string | undefined {
  if (basename(execPath) !== RUNM_SHIM_BINARY) return undefined;
  const record = installRecordPath(join(dirname(execPath), ".."));
  return existsSync(record) ? record : undefined;
}

export function readInstallRecord(path: string): InstallRecord {
  try {
    const r = JSON.parse(readFileSync(path, "utf8")) as InstallRecord;
    if (r.version !== 1) throw new Error(`unknown version ${r.version}`);
    return r;
  } catch (e) {
    throw failedPrecondition(`cannot read the install record ${path}: ${messageOf(e)}`, {
      hint: "reinstall with: runm install",
    });
  }
}

/**
 * In the installed shim, before anything reads runm's dirs: the image store, state and config
 * dirs its install recorded (an explicit RUNM_*_DIR in containerd's environment still wins).
 */
export function useInstalledLayout(execPath = process.execPath, env = process.env): boolean {
  const path = installedRecordFor(execPath);
  if (!path) return false;
  const { options } = readInstallRecord(path);
  const p = installPaths(options);
  env.RUNM_CACHE_DIR ||= p.libDir;
  env.RUNM_STATE_DIR ||= options.stateDir;
  env.RUNM_CONFIG_DIR ||= p.configDir;
  return true;
}
