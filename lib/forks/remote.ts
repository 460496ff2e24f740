// The fork's remote "upstream": clone from it, or point it at a (possibly overridden) URL and
// fetch its branches and tags. git's own progress goes to our stderr.
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { dirname } from "node:path";
import { failedPrecondition } from "../errors.ts";
import { logger } from "../log.ts";
import { git, gitTry } from "./git.ts";

const log = logger("forks");

export const UPSTREAM_REMOTE = "upstream";

// git shows transfer progress on a terminal by itself; --progress forces it, so only then.
const progressFlag = () => (process.stderr.isTTY ? ["--progress"] : []);

/** Point remote "upstream" at url and fetch its branches and tags (progress on stderr). */
export async function fetchUpstream(path: string, url: string): Promise<void> {
  const remotes = (await git(path, ["remote"])).split("\n");
  await git(path, ["remote", remotes.includes(UPSTREAM_REMOTE) ? "set-url" : "add", UPSTREAM_REMOTE, url]);
  log.info(`fetching ${url}`);
  const r = await gitTry(
    path,
    [
      "fetch",
      ...progressFlag(),
      "--tags",
      UPSTREAM_REMOTE,
      `+refs/heads/*:refs/remotes/${UPSTREAM_REMOTE}/*`,
    ],
    { progress: true },
  );
  if (!r.ok) throw failedPrecondition(`cannot fetch ${url}`, { hint: upstreamHint(url) });
}

const upstreamHint = (url: string) =>
  `check the URL and your network, or point at a local copy with --upstream NAME=/path or RUNM_FORKS_UPSTREAM_<NAME> (now: ${url})`;

/** Clone url into path (remote "upstream", nothing checked out yet). */
export async function cloneUpstream(name: string, path: string, url: string): Promise<void> {
  if (existsSync(path) && readdirSync(path).length)
    throw failedPrecondition(`${path} exists and is not a git checkout`, {
      hint: "move it away or install the forks elsewhere with --dir DIR",
    });
  mkdirSync(dirname(path), { recursive: true });
  log.info(`cloning ${name} from ${url} into ${path}`);
  const r = await gitTry(
    dirname(path),
    ["clone", ...progressFlag(), "--no-checkout", "--origin", UPSTREAM_REMOTE, url, path],
    {
      progress: true,
    },
  );
  if (!r.ok) throw failedPrecondition(`cannot clone ${name} from ${url}`, { hint: upstreamHint(url) });
}
