// The real thing: `runm build all` (from scratch on a clean cache, this builds the kernel: minutes),
// then the result boots under QEMU TCG on microvm and /init mounts the mbin squashfs.
import { beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BOOT_MARKER, FLOOR_MARKER, GUEST_RUNC_PATH, hostGuestArch } from "../../lib/constants.ts";
import { type GuestManifest, readGuestManifest } from "../../lib/guest-manifest.ts";
import { REPO_ROOT } from "../../lib/paths.ts";
import { alive, bootGuest } from "./qemu-boot.ts";

const cli = (args: string[]) =>
  Bun.spawnSync(["bun", join(REPO_ROOT, "cli/main.ts"), ...args], { stdout: "pipe", stderr: "pipe" });

const BOOT_TIMEOUT = 120_000;
let manifest: GuestManifest;
let firstBuild: { code: number; stdout: string; stderr: string };

describe("runm build all, then boot the guest", () => {
  beforeAll(() => {
    const r = cli(["build", "all"]);
    firstBuild = { code: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
    if (r.exitCode === 0) manifest = readGuestManifest(hostGuestArch());
  }, 60 * 60_000);

  test("build all succeeds, prints the artifact table and writes the manifest", () => {
    expect(firstBuild.stderr).not.toContain("internal error");
    expect(firstBuild.code).toBe(0);
    for (const name of ["kernel-x86_64", "busybox-x86_64", "initramfs-x86_64", "squashfs-x86_64"]) {
      expect(firstBuild.stdout).toContain(name);
    }
    expect(firstBuild.stdout).toContain("manifest: ");
    expect(manifest.kernel.path).toEndWith("/vmlinux");
  });

  test(
    "marker mode: /init mounts the squashfs, switches root and prints the boot marker",
    async () => {
      const r = await bootGuest({ ...paths(), mode: "marker" });
      expect(r.console).not.toContain("runm-init:");
      expect(r.console).toContain(BOOT_MARKER);
      expect(r.exitCode).toBe(0); // -no-reboot: the guest's reboot -f ends QEMU
      expect(alive(r.pid)).toBe(false);
      console.log(`boot to ${BOOT_MARKER}: ${r.markerSeconds?.toFixed(2)} s`);
    },
    BOOT_TIMEOUT,
  );

  test(
    "floor mode prints the floor marker first and powers off",
    async () => {
      const r = await bootGuest({ ...paths(), mode: "floor" }, FLOOR_MARKER);
      expect(r.console).toContain(FLOOR_MARKER);
      expect(r.console).not.toContain(BOOT_MARKER);
      expect(r.exitCode).toBe(0);
      console.log(`boot to ${FLOOR_MARKER}: ${r.markerSeconds?.toFixed(2)} s`);
    },
    BOOT_TIMEOUT,
  );

  test(
    "shell mode: the new root runs glibc-dynamic runc and has cgroup2 controllers enabled",
    async () => {
      const text = [
        `${GUEST_RUNC_PATH} --version | head -1`,
        "cat /sys/fs/cgroup/cgroup.subtree_control",
        "grep -c -e ' /mbin squashfs ro' -e ' / tmpfs ' -e ' /dev/pts devpts ' /proc/mounts",
        "hostname; ip -o link show lo | grep -c UP",
        "reboot -f",
        "",
      ].join("\n");
      const r = await bootGuest(
        { ...paths(), mode: "shell", input: { after: "shell mode", text } },
        "runc version",
      );
      expect(r.console).not.toMatch(/runm-init: .* failed/);
      expect(r.console).toMatch(/runc version 1\.\d+\.\d+/);
      expect(r.console).toMatch(/cpuset cpu io memory pids|cpu.*memory.*pids/);
      expect(r.console).toMatch(/\n3\r?\n/);
      expect(r.console).toMatch(/runm\r?\n1\r?\n/);
      expect(r.exitCode).toBe(0);
    },
    BOOT_TIMEOUT,
  );

  test(
    "without the mbin disk /init names the failed step and powers off",
    async () => {
      const { squashfs: _, ...noDisk } = paths();
      const r = await bootGuest({ ...noDisk, mode: "marker" }, "runm-init:");
      expect(r.console).toContain("runm-init: find the mbin disk failed: /dev/vda did not appear");
      expect(r.console).not.toContain(BOOT_MARKER);
      expect(r.exitCode).toBe(0);
    },
    BOOT_TIMEOUT,
  );

  test(
    "a disk that is not a squashfs fails the mount step with mount's own error",
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "runm-notsquash-"));
      try {
        const disk = join(dir, "zeros.img");
        writeFileSync(disk, new Uint8Array(1 << 20));
        const r = await bootGuest({ ...paths(), squashfs: disk, mode: "marker" }, "runm-init:");
        expect(r.console).toMatch(
          /runm-init: mount the mbin squashfs failed: mount: mounting \/dev\/vda on \/newroot\/mbin failed/,
        );
        expect(r.console).not.toContain(BOOT_MARKER);
        expect(r.exitCode).toBe(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    BOOT_TIMEOUT,
  );

  test("a second build all reuses every artifact", () => {
    const r = cli(["build", "all"]);
    expect(r.exitCode).toBe(0);
    const rows = r.stdout
      .toString()
      .split("\n")
      .filter((l) => /-x86_64\s/.test(l));
    expect(rows.length).toBeGreaterThanOrEqual(4);
    for (const row of rows) expect(row).toContain(" cached ");
  });
});

function paths() {
  return {
    kernel: manifest.kernel.path,
    initramfs: manifest.initramfs.path,
    squashfs: manifest.squashfs.path,
  };
}
