// Hooks on the host, run for real (sh): the split between host and guest, the operator's list,
// state on stdin, args[0], exact env, and failures that name the hook with its stderr. The path
// through containerd is test/shim/shim-e2e.ts "OCI hooks".
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isRunmError } from "../lib/errors.ts";
import { checkHostHooks, ociState, runHooks, splitHooks } from "./hooks.ts";

const dir = mkdtempSync(join(tmpdir(), "runm-hooks-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const state = ociState("c1", "creating", 42, dir, { a: "b" });

test("runtime-namespace hooks go to the host; container-namespace hooks stay for guest runc", () => {
  const h = { path: "/bin/true" };
  const s = splitHooks({
    prestart: [h],
    createRuntime: [h],
    createContainer: [h],
    startContainer: [h],
    poststop: [h],
  });
  expect(s.host).toEqual({ prestart: [h], createRuntime: [h], poststart: [], poststop: [h] });
  expect(s.guest).toEqual({ createContainer: [h], startContainer: [h] });
  expect(splitHooks({ poststart: [h] }).guest).toBeUndefined();
  expect(splitHooks(undefined).host.createRuntime).toEqual([]);
});

test("only programs the operator lists by absolute path may run on the host", () => {
  expect(() => checkHostHooks({ createRuntime: [{ path: "/bin/sh" }] }, ["/bin/sh"])).not.toThrow();
  expect(() => checkHostHooks({ createContainer: [{ path: "/anything" }] }, [])).not.toThrow(); // guest's
  const e = (() => {
    try {
      checkHostHooks({ poststart: [{ path: "/bin/sh" }], poststop: [{ path: "sh" }] }, ["sh"]);
    } catch (err) {
      return err;
    }
  })();
  expect(isRunmError(e, "PermissionDenied")).toBe(true);
  expect((e as Error).message).toBe(`the poststart hook "/bin/sh" is not allowed by the runtime's policy`);
  expect(() => checkHostHooks({ poststop: [{ path: "sh" }] }, ["sh"])).toThrow("is not allowed"); // relative
});

test("a hook reads the state on stdin, runs with its own args[0] and only its own env", async () => {
  const out = join(dir, "seen");
  await runHooks(
    "createRuntime",
    [
      {
        path: "/bin/sh",
        args: ["hook-name", "-c", `cat > ${out}.json; echo "$0|$WORD|$HOME" > ${out}.txt`],
        env: ["WORD=w"],
      },
    ],
    state,
  );
  expect(JSON.parse(readFileSync(`${out}.json`, "utf8"))).toEqual({
    ociVersion: "1.0.2",
    id: "c1",
    status: "creating",
    pid: 42,
    bundle: dir,
    annotations: { a: "b" },
  });
  expect(readFileSync(`${out}.txt`, "utf8")).toBe("hook-name|w|\n"); // no HOME from the shim
});

test("a failing hook stops the rest and names itself with its stderr; a slow one is killed at its timeout", async () => {
  const marker = join(dir, "ran");
  const failing = runHooks(
    "prestart",
    [
      { path: "/bin/sh", args: ["sh", "-c", "echo 'no route to host' >&2; exit 7"] },
      { path: "/bin/sh", args: ["sh", "-c", `touch ${marker}`] },
    ],
    state,
  );
  await expect(failing).rejects.toThrow("the prestart hook /bin/sh exited 7: no route to host");
  expect(await Bun.file(marker).exists()).toBe(false);
  const slow = runHooks("poststop", [{ path: "/bin/sh", args: ["sh", "-c", "sleep 30"], timeout: 1 }], state);
  await expect(slow).rejects.toThrow("the poststop hook /bin/sh did not finish within 1 s");
  await expect(runHooks("poststop", [{ path: "/no/such/hook" }], state)).rejects.toThrow(
    "the poststop hook /no/such/hook",
  );
});
