// Host tools runm runs, and the Debian package that provides each: a missing tool is reported
// with the exact install command instead of a spawn error.
import { failedPrecondition } from "./errors.ts";

export interface ToolInfo {
  /** Debian package providing it (Linux hosts). */
  apt?: string;
  /** How to get it on macOS. */
  mac?: string;
}

export const TOOLS: Record<string, ToolInfo> = {
  "qemu-system-x86_64": { apt: "qemu-system-x86" },
  "qemu-system-aarch64": { apt: "qemu-system-arm" },
  "qemu-img": { apt: "qemu-utils" },
  // qemu-user: runs one foreign-arch process (lib/build/foreign-exec.ts)
  "qemu-aarch64": { apt: "qemu-user" },
  "qemu-x86_64": { apt: "qemu-user" },
  mksquashfs: { apt: "squashfs-tools", mac: "brew install squashfs" },
  unsquashfs: { apt: "squashfs-tools", mac: "brew install squashfs" },
  cpio: { apt: "cpio" },
  gzip: { apt: "gzip" },
  git: { apt: "git", mac: "xcode-select --install" },
  make: { apt: "make" },
  gcc: { apt: "gcc" },
  flex: { apt: "flex" },
  bison: { apt: "bison" },
  bc: { apt: "bc" },
  tar: { apt: "tar" },
  xz: { apt: "xz-utils" },
  containerd: { apt: "containerd" },
  ctr: { apt: "containerd" },
  runc: { apt: "runc" },
  crun: { apt: "crun" },
  busybox: { apt: "busybox-static" },
  "aarch64-linux-gnu-gcc": { apt: "gcc-aarch64-linux-gnu" },
  debootstrap: { apt: "debootstrap" },
  "dpkg-deb": { apt: "dpkg" },
  npm: { apt: "npm", mac: "brew install node" },
  setpriv: { apt: "util-linux" },
  unshare: { apt: "util-linux" },
  socat: { apt: "socat" },
  tini: { apt: "tini" },
  go: { apt: "golang-go", mac: "brew install go" },
  vfkit: { mac: "brew install vfkit" },
  gvproxy: { mac: "brew install podman (ships gvproxy) or runm forks build gvisor-tap-vsock" },
  codesign: { mac: "xcode-select --install" },
};

export function installHint(tool: string, platform: NodeJS.Platform = process.platform): string {
  const info = TOOLS[tool];
  if (platform === "darwin" && info?.mac) return `install it with: ${info.mac}`;
  if (info?.apt) return `install it with: apt-get install ${info.apt}`;
  return `install ${tool} and make sure it is on PATH`;
}

/** Absolute path of a tool on PATH, or null. */
export function findTool(tool: string, path = process.env.PATH): string | null {
  return Bun.which(tool, { PATH: path ?? "" });
}

/** Absolute path of a tool, or a FailedPrecondition naming the package that provides it. */
export function requireTool(tool: string, why?: string): string {
  const found = findTool(tool);
  if (found) return found;
  throw failedPrecondition(`${tool} not found on PATH${why ? ` (needed ${why})` : ""}`, {
    hint: installHint(tool),
  });
}
