// The real fetch of Debian's arm64 packages from the host's mirror (into runm's cache, like
// `runm build --arch arm64`: ~10 s once, then nothing), and the programs in it run under qemu-user.
import { expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { privateApt } from "../debian-packages.ts";
import { dirs } from "../paths.ts";
import { readElfDynamic } from "./elf.ts";
import { foreignExec } from "./foreign-exec.ts";
import { guestSysroot, sysrootPackages, sysrootProgram } from "./guest-sysroot.ts";
import { sysrootLibs } from "./shared-libs.ts";

test("the guest takes the mbin recipe's packages and busybox-static from Debian", () => {
  expect(sysrootPackages()).toEqual(["busybox-static", "crun", "runc", "tini"]);
});

test("a private apt for arm64 sees arm64 alone and keeps apt's cache in its own dir", () => {
  const work = mkdtempSync(join(tmpdir(), "runm-apt-"));
  const o = privateApt(work, "deb [arch=arm64] http://mirror.invalid/debian bookworm main", {
    arch: "arm64",
  });
  expect(o).toContain("APT::Architecture=arm64");
  expect(o).toContain("APT::Architectures::=arm64");
  expect(o).toContain(`Dir::Cache=${join(work, "cache")}`);
  expect(privateApt(work, "deb x")).not.toContain("APT::Architecture=arm64");
  rmSync(work, { recursive: true, force: true });
});

test("arm64 sysroot: runc with the libraries it needs, runnable under qemu-aarch64", async () => {
  const sysroot = await guestSysroot({ arch: "arm64", cacheDir: dirs().cache });
  const debs = readFileSync(join(sysroot, ".debian-packages"), "utf8");
  for (const p of ["runc_", "crun_", "tini_", "busybox-static_", "libc6_", "libseccomp2_"])
    expect(debs).toMatch(new RegExp(`^${p}.*_arm64\\.deb$`, "m"));

  const runc = sysrootProgram(sysroot, "runc") as string;
  expect(runc).toBe(join(sysroot, "usr/sbin/runc"));
  const elf = readElfDynamic(runc);
  const readelf = Bun.spawnSync(["readelf", "-d", runc]).stdout.toString();
  expect(elf?.needed).toEqual(
    [...readelf.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1] as string),
  );
  expect(elf).toEqual({
    machine: 183,
    interp: "/lib/ld-linux-aarch64.so.1",
    needed: ["libseccomp.so.2", "libc.so.6"],
  });
  const libs = sysrootLibs(runc, sysroot, "aarch64-linux-gnu");
  expect([...libs.keys()].sort()).toEqual([
    "lib/aarch64-linux-gnu/libc.so.6",
    "lib/aarch64-linux-gnu/libseccomp.so.2",
    "lib/ld-linux-aarch64.so.1",
  ]);
  // Symlinks followed to the real files, inside the sysroot.
  expect(libs.get("lib/aarch64-linux-gnu/libseccomp.so.2")).toMatch(
    /\/usr\/lib\/aarch64-linux-gnu\/libseccomp\.so\.2\.\d/,
  );

  const r = Bun.spawnSync([...foreignExec("arm64", { sysroot }), runc, "--version"]);
  expect(r.stderr.toString()).toBe("");
  expect(r.stdout.toString()).toStartWith("runc version ");
  expect(r.exitCode).toBe(0);
}, 120_000);
