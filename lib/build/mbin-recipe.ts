// The mbin squashfs recipe, kept as data in squashfs/mbin.json (beside kernel-config/ and
// initramfs/): which files go into the guest's /mbin, from where, with which modes. Read and
// checked here; lib/build/squashfs.ts builds from it.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { invalidArgument } from "../errors.ts";
import { REPO_ROOT } from "../paths.ts";

export interface MbinEntry {
  /** Path inside the image (relative to GUEST_MBIN_DIR). */
  path: string;
  /** "host:<program>" (found on PATH) or "artifact:busybox" / "artifact:agent". */
  from: string;
  /** The Debian package that provides a host program (named in the error when it is missing). */
  package?: string;
  mode: number;
  /** Bring the shared libraries it loads (at the paths glibc's loader looks for them). */
  libraries: boolean;
  /** Link every busybox applet to it in the same directory. */
  appletLinks: boolean;
}

export interface MbinRecipe {
  entries: MbinEntry[];
  libraryMode: number;
}

export const MBIN_RECIPE_PATH = join(REPO_ROOT, "squashfs", "mbin.json");

const ARTIFACTS = ["artifact:busybox", "artifact:agent"];
const mode = (v: unknown, where: string): number => {
  if (typeof v !== "string" || !/^0[0-7]{3}$/.test(v))
    throw invalidArgument(`${where} must be an octal mode such as "0755"`);
  return Number.parseInt(v, 8);
};

export function parseMbinRecipe(text: string, file = MBIN_RECIPE_PATH): MbinRecipe {
  const raw = JSON.parse(text) as { entries?: unknown; libraryMode?: unknown };
  if (!Array.isArray(raw.entries)) throw invalidArgument(`${file}: expected "entries": [...]`);
  const seen = new Set<string>();
  const entries = raw.entries.map((e: Record<string, unknown>, i): MbinEntry => {
    const where = `${file}: entries[${i}]`;
    const path = e.path;
    if (typeof path !== "string" || !/^[a-z0-9][a-z0-9._/-]*$/.test(path) || path.includes(".."))
      throw invalidArgument(`${where}.path must be a plain relative path`);
    if (seen.has(path)) throw invalidArgument(`${where}: ${path} is listed twice`);
    seen.add(path);
    const from = e.from;
    if (typeof from !== "string" || !(ARTIFACTS.includes(from) || /^host:[a-z0-9][a-z0-9.+-]*$/.test(from)))
      throw invalidArgument(`${where}.from must be host:<program>, artifact:busybox or artifact:agent`);
    return {
      path,
      from,
      package: typeof e.package === "string" ? e.package : undefined,
      mode: mode(e.mode, `${where}.mode`),
      libraries: e.libraries === true,
      appletLinks: e.appletLinks === true,
    };
  });
  return { entries, libraryMode: mode(raw.libraryMode, `${file}: libraryMode`) };
}

export const readMbinRecipe = (file = MBIN_RECIPE_PATH) => parseMbinRecipe(readFileSync(file, "utf8"), file);
