// Issue 15's arm64 guest, through the real thing: `runm vm run --arch arm64` booting the arm64
// guest image (cross-built kernel Image, Debian's arm64 runc and busybox, the Bun agent compiled
// for arm64) under qemu-system-aarch64 -M virt with TCG, on an arm64 busybox rootfs. The same
// cases as the x86_64 ones that matter for a platform: output, exact exit codes, stdin, a
// read-only bind, -u; and the macOS driver's argv built from the real arm64 artifacts.
import { expect, setDefaultTimeout, test } from "bun:test";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readGuestManifest } from "../guest-manifest.ts";
import { runm, vmTestSuite } from "./testdata/vm-env.ts";
import { vfkitArgv } from "./vfkit/argv.ts";

// An emulated arm64 guest on a shared 2-core x86_64 host: the first run also builds its template.
setDefaultTimeout(300_000);
const { env, work, rootfs } = vmTestSuite("vmrun-arm64", "arm64");

const vmRun = (args: string[], cmd: string[], stdin?: string) =>
  runm(env, ["vm", "run", "--arch", "arm64", "--rootfs", rootfs, ...args, "--", ...cmd], stdin);

test("uname -m in the arm64 guest prints aarch64 (with the boot timeline)", async () => {
  const r = await vmRun(["--timings"], ["uname", "-m"]);
  expect({ stdout: r.stdout, code: r.code }).toEqual({ stdout: "aarch64\n", code: 0 });
  for (const phase of ["launch", "ready", "created", "started", "firstOutput", "exit"])
    expect(r.stderr).toMatch(new RegExp(`^${phase} +\\d+ ms`, "m"));
  console.log(`arm64 timeline:\n${r.stderr.trim()}`);
});

test("a cold arm64 boot: the kernel is aarch64 and the exit code is exact", async () => {
  const r = await vmRun(["--cold", "--timings"], ["sh", "-c", "uname -m; exit 3"]);
  expect([r.stdout, r.code]).toEqual(["aarch64\n", 3]);
  // A cold boot runs /init (a restored one does not).
  expect(r.stderr).toMatch(/^init +\d+ ms/m);
  console.log(`arm64 cold timeline:\n${r.stderr.trim()}`);
});

test("exit 42 gives 42; stderr is kept apart from stdout", async () => {
  const r = await vmRun([], ["sh", "-c", "echo out; echo err >&2; exit 42"]);
  expect([r.code, r.stdout]).toEqual([42, "out\n"]);
  expect(r.stderr).toContain("err\n");
});

test("stdin piped in comes back through cat (-i), byte-exact", async () => {
  const input = "arm64 line\n".repeat(500);
  const r = await vmRun(["-i"], ["cat"], input);
  expect([r.code, r.stdout]).toEqual([0, input]);
});

test("a :ro volume is readable and refuses writes; -u 1000:1000 runs as that user", async () => {
  const ro = join(work, "ro");
  mkdirSync(ro, { recursive: true });
  writeFileSync(join(ro, "given.txt"), "from the x86_64 host\n");
  const script = [
    "cat /ro/given.txt",
    "if echo x > /ro/new.txt 2>/dev/null; then echo RO-WRITE-OK; else echo ro-refused; fi",
    "id -u; id -g",
  ].join("; ");
  const r = await vmRun(["-u", "1000:1000", "-v", `${ro}:/ro:ro`], ["sh", "-c", script]);
  expect([r.code, r.stdout]).toEqual([0, "from the x86_64 host\nro-refused\n1000\n1000\n"]);
  expect(() => statSync(join(ro, "new.txt"))).toThrow();
});

test("the vfkit (macOS) argv boots the real arm64 artifacts: the Image kernel, its initramfs and squashfs", () => {
  const m = readGuestManifest("arm64");
  // An arm64 Image, as Virtualization.framework's Linux boot loader takes it: magic "ARM\x64".
  expect(readFileSync(m.kernel.path).subarray(0x38, 0x3c).toString("latin1")).toBe("ARM\x64");
  const argv = vfkitArgv(
    {
      id: "arm64",
      arch: m.arch,
      kernel: m.kernel.path,
      initrd: m.initramfs.path,
      mbinDisk: m.squashfs.path,
      mode: "agent",
      cpus: 1,
      memoryMiB: 512,
      shares: [],
      ports: [],
      console: "file",
    },
    {
      consoleLog: "/r/console.log",
      pidfile: "/r/vmm.pid",
      agentSocket: "/r/agent.sock",
      netSocket: "/r/net.sock",
    },
    "vfkit",
    ["runm.mode=agent"],
  );
  expect(argv).toContain(
    `linux,kernel=${m.kernel.path},initrd=${m.initramfs.path},cmdline="console=hvc0 panic=-1 runm.mode=agent"`,
  );
  expect(argv).toContain(`virtio-blk,path=${m.squashfs.path},readonly`);
  expect(m.kernel.path).toEndWith("/Image");
});
