// The private containerd's checks that need no daemon (the ones that start one live with their
// users: lib/image, lib/ttrpc, lib/dev, test/shim).
import { expect, test } from "bun:test";
import { mkdirSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isRunmError } from "../errors.ts";
import { startPrivateContainerd } from "./private.ts";

test("a dir too deep for a unix socket path is refused before containerd starts, and cleaned up", async () => {
  const parent = join(tmpdir(), `runm-deep-${"x".repeat(90)}`);
  mkdirSync(parent, { recursive: true });
  try {
    const e = await startPrivateContainerd({ parent }).catch((err) => err);
    expect(isRunmError(e, "InvalidArgument")).toBe(true);
    expect(e.message).toContain("too long for a unix socket");
    expect(readdirSync(parent)).toEqual([]);
  } finally {
    rmSync(parent, { recursive: true, force: true });
  }
});
