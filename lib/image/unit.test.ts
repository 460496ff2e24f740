import { expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "../exec.ts";
import { mirrorFor, parseAptSources } from "./debian-rootfs.ts";
import { canonicalJson } from "./oci-layout.ts";
import { tarBytes } from "./tar.ts";

test("apt sources in both formats; the mirror skips -security", () => {
  const text = `Types: deb
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main

Types: deb
URIs: http://mirror.example/debian-security
Suites: bookworm-security
`;
  const one = "deb [arch=amd64] http://mirror.local/debian bookworm main\n# deb http://x y\n";
  const all = [...parseAptSources(text), ...parseAptSources(one)];
  expect(all).toContainEqual({ uri: "http://mirror.local/debian", suites: ["bookworm"] });
  expect(mirrorFor("bookworm", all)).toBe("http://mirror.example/debian");
  expect(mirrorFor("bookworm-security", all)).toBeUndefined();
});

test("canonical JSON sorts keys at every level", () => {
  expect(canonicalJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: 3 } })).toBe(
    '{"a":{"c":3,"d":[{"y":2,"z":1}]},"b":1}',
  );
});

test("tar output reads back with GNU tar: modes, owners, symlinks, long paths", async () => {
  const dir = mkdtempSync(join(tmpdir(), "runm-tar-"));
  const long = `${"d".repeat(90)}/${"f".repeat(90)}`;
  const bytes = tarBytes([
    { type: "dir", path: "tmp", mode: 0o1777 },
    { type: "dir", path: "home/user", mode: 0o755, uid: 1000, gid: 1000 },
    { type: "file", path: "bin/x", mode: 0o755, data: "#!/bin/sh\n" },
    { type: "symlink", path: "bin/y", target: "x" },
    { type: "file", path: long, mode: 0o644, data: "long" },
  ]);
  writeFileSync(join(dir, "a.tar"), bytes);
  const { stdout } = await run("tar", ["-tvf", join(dir, "a.tar"), "--numeric-owner"]);
  expect(stdout).toContain("drwxrwxrwt 0/0");
  expect(stdout).toContain("drwxr-xr-x 1000/1000");
  expect(stdout).toContain("bin/y -> x");
  await run("tar", ["-xf", join(dir, "a.tar"), "-C", dir]);
  expect(readFileSync(join(dir, long), "utf8")).toBe("long");
  rmSync(dir, { recursive: true });
});
