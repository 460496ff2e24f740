// The one place that knows runm's directories. Each is overridable by an env var and otherwise
// follows XDG on Linux and ~/Library on macOS. Pure over (platform, env, home) so it is testable.
import { homedir } from "node:os";
import { join } from "node:path";

export interface RunmDirs {
  /** Content-addressed build outputs (kernel, initramfs, squashfs, agent). Safe to delete. */
  cache: string;
  /** Runtime state: dev containerd, per-VM runtime dirs, sockets. */
  state: string;
  /** Holds the optional runm.toml. */
  config: string;
  /**
   * VM templates (lib/sandbox/template.ts): their memory files must live on a tmpfs, so on Linux
   * /dev/shm (RUNM_TEMPLATE_DIR overrides). Content-addressed, safe to delete.
   */
  templates: string;
}

export interface DirsInput {
  platform: NodeJS.Platform;
  env: Record<string, string | undefined>;
  home: string;
}

export function resolveDirs({ platform, env, home }: DirsInput): RunmDirs {
  const pick = (override: string, xdg: string, linuxDefault: string, macDefault: string) => {
    const o = env[override];
    if (o) return o;
    if (platform === "darwin") return join(home, macDefault);
    const x = env[xdg];
    return x ? join(x, "runm") : join(home, linuxDefault);
  };
  return {
    cache: pick("RUNM_CACHE_DIR", "XDG_CACHE_HOME", ".cache/runm", "Library/Caches/runm"),
    state: pick(
      "RUNM_STATE_DIR",
      "XDG_STATE_HOME",
      ".local/state/runm",
      "Library/Application Support/runm/state",
    ),
    config: pick("RUNM_CONFIG_DIR", "XDG_CONFIG_HOME", ".config/runm", "Library/Application Support/runm"),
    templates:
      env.RUNM_TEMPLATE_DIR ||
      (platform === "darwin" ? join(home, "Library/Caches/runm/templates") : "/dev/shm/runm/templates"),
  };
}

export function dirs(): RunmDirs {
  return resolveDirs({ platform: process.platform, env: process.env, home: homedir() });
}

/** The checkout runm runs from (holds kernel-config/, forks/, scenarios/ ...). */
export const REPO_ROOT = join(import.meta.dir, "..");
