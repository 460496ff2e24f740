// The guest agent binary: `bun build --compile agent/main.ts`, keyed by the sources that can end
// up in it (agent/, lib/), bun.lock and the Bun version, and for another arch than the host's by
// the Bun runtime it is compiled onto (lib/build/bun-runtime.ts). Returns null while
// agent/main.ts does not exist, so the rest of the guest can be built and booted without it.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { type GuestArch, hostGuestArch } from "../constants.ts";
import { run } from "../exec.ts";
import { REPO_ROOT } from "../paths.ts";
import { bunRuntime } from "./bun-runtime.ts";
import { type Artifact, produce } from "./cache.ts";
import { keyOf, sha256 } from "./hash.ts";

export const AGENT_ENTRY = join(REPO_ROOT, "agent", "main.ts");
/**
 * Minified, with JSC bytecode: the guest runs under TCG where parsing the ~1.5 MB bundle is the
 * largest part of the agent's cold start (measured: docs/ARCHITECTURE.md "boot time").
 * Bytecode made on x86_64 for arm64 is accepted by the arm64 runtime: under qemu-aarch64 the
 * cross-built agent starts with ~0.6 s less CPU than one built without --bytecode (2.2-2.9 s vs
 * 3.2-3.6 s user), so JSC loads it instead of falling back to parsing.
 */
export const AGENT_BUILD_FLAGS = ["--minify", "--bytecode", "--format=esm"];

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== "node_modules") out.push(...sourceFiles(p));
    } else if (/\.(ts|js|json|proto)$/.test(e.name) && !/\.test\.ts$/.test(e.name)) out.push(p);
  }
  return out.sort();
}

/**
 * Hash of everything the compiled agent depends on; `runtime` is the sha256 of the foreign-arch
 * Bun it is compiled onto (absent for the host's arch, whose runtime is the running Bun).
 */
export function agentInputs(arch: GuestArch, root = REPO_ROOT, runtime?: string): Record<string, string> {
  const files = [
    ...sourceFiles(join(root, "agent")),
    ...sourceFiles(join(root, "lib")),
    join(root, "bun.lock"),
    join(root, "package.json"),
  ].filter((f) => existsSync(f));
  const h: Record<string, string> = { arch, bun: Bun.version, flags: AGENT_BUILD_FLAGS.join(" ") };
  if (runtime) h.runtime = runtime;
  for (const f of files) h[relative(root, f)] = sha256(readFileSync(f));
  return h;
}

export async function buildAgent(o: {
  arch: GuestArch;
  cacheDir: string;
  force?: boolean;
}): Promise<Artifact | null> {
  if (!existsSync(AGENT_ENTRY)) return null;
  // Another arch's runtime comes from npm, not from Bun's own download (unreachable offline).
  const runtime =
    o.arch === hostGuestArch() ? null : await bunRuntime({ arch: o.arch, cacheDir: o.cacheDir });
  const key = keyOf({ kind: "agent", inputs: agentInputs(o.arch, REPO_ROOT, runtime?.sha256) });
  const target = o.arch === "arm64" ? "bun-linux-arm64" : "bun-linux-x64";
  return produce({
    cacheDir: o.cacheDir,
    kind: `agent-${o.arch}`,
    key,
    file: "runm-agent",
    force: o.force,
    build: async (dir) => {
      // Not stripped: a compiled Bun binary carries its bundle after the ELF sections.
      await run(
        process.execPath,
        [
          "build",
          "--compile",
          ...AGENT_BUILD_FLAGS,
          `--target=${target}`,
          ...(runtime ? [`--compile-executable-path=${runtime.path}`] : []),
          AGENT_ENTRY,
          "--outfile",
          join(dir, "runm-agent"),
        ],
        // NODE_ENV changes the bundle (bun test sets it to "test") but is no input of the key:
        // unset, a build from a test and one from the CLI give the same bytes.
        { cwd: REPO_ROOT, env: { NODE_ENV: undefined }, what: "compiling the guest agent" },
      );
      const info: Record<string, string> = { bun: Bun.version };
      if (runtime) info.runtime = runtime.info.package ?? runtime.path;
      return info;
    },
  });
}
