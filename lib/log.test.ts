import { expect, test } from "bun:test";

/** What a child process with `env` writes to stderr (a pipe: never coloured). */
function stderrOf(code: string, env: Record<string, string> = {}): string {
  const r = Bun.spawnSync([process.execPath, "-e", code], {
    env: { ...process.env, RUNM_LOG_LEVEL: "", ...env },
    stderr: "pipe",
    cwd: import.meta.dir,
  });
  return r.stderr.toString();
}

test("one plain line per call, `[level] [tag] message`, at or above the level only; an Error as its message", () => {
  const code = `import { logger, setLogLevel } from "./log.ts";
    const l = logger("shim");
    l.debug("hidden");
    l.info("listening on", "/run/x.sock", { pid: 7 });
    l.warn(new Error("it broke\\n  at somewhere"));
    setLogLevel("debug");
    l.debug("now shown");
    setLogLevel("silent");
    l.error("not even this");`;
  expect(stderrOf(code)).toBe(
    "[info] [shim] listening on /run/x.sock { pid: 7 }\n[warn] [shim] it broke\n  at somewhere\n[debug] [shim] now shown\n",
  );
  expect(
    stderrOf(`import { logger } from "./log.ts"; logger("a").debug("x")`, { RUNM_LOG_LEVEL: "debug" }),
  ).toBe("[debug] [a] x\n");
});
