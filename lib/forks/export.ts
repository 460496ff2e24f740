// `runm forks export NAME`: regenerate forks/NAME/*.patch from the commits on branch runm above
// the pin, so a developer edits the fork with git and then exports. Output is stable across git
// versions and machines (zero commit ids, full blob ids for --3way, no version signature).
import { readdirSync } from "node:fs";
import { failedPrecondition } from "../errors.ts";
import { withAtomicDir } from "../fs-atomic.ts";
import { git } from "./git.ts";
import type { ForkSpec } from "./manifest.ts";
import { readSeries } from "./series.ts";
import { assertTouchable, FORK_BRANCH, inspectFork } from "./state.ts";

export async function exportFork(spec: ForkSpec, path: string, outDir: string): Promise<string[]> {
  const st = await inspectFork(spec, [], path);
  if (!st.installed)
    throw failedPrecondition(`fork ${spec.name} is not installed at ${path}`, {
      hint: `install it with: runm forks install ${spec.name}`,
    });
  assertTouchable(st);
  if (!st.onBase)
    throw failedPrecondition(
      `${spec.name}: branch ${FORK_BRANCH} is not on the pinned base ${spec.base.slice(0, 12)}`,
      {
        hint: `move to a new base with runm forks sync ${spec.name} --to REF`,
      },
    );
  const files = await withAtomicDir(outDir, async (tmp) => {
    await git(path, [
      "format-patch",
      "--quiet",
      "--zero-commit",
      "--no-signature",
      "--full-index",
      "-o",
      tmp,
      `${spec.base}..refs/heads/${FORK_BRANCH}`,
    ]);
    readSeries(tmp); // a series we would refuse to read back must not be written
    return readdirSync(tmp).sort();
  });
  if (!files.length)
    throw failedPrecondition(`${spec.name}: no commits above the pin; exported an empty series`);
  return files;
}
