// Busybox image: deterministic archive, imported into a real private containerd, run with runc.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runm } from "../../test/cli.ts";
import { type PrivateContainerd, startPrivateContainerd } from "../containerd/private.ts";
import { leftoverProcesses } from "../containerd/teardown.ts";
import { run } from "../exec.ts";
import { buildImage } from "./build.ts";
import { ctrBase, importImage, listImages } from "./import.ts";

// Real containerd (and with runm, VMs under TCG): seconds per step.
setDefaultTimeout(120_000);

let cache: string;
let ctd: PrivateContainerd;

beforeAll(async () => {
  cache = await mkdtemp(join(tmpdir(), "runm-image-test-"));
  ctd = await startPrivateContainerd();
});

afterAll(async () => {
  await ctd?.stop();
  await rm(cache, { recursive: true, force: true });
});

test("busybox archive is byte-identical across builds and cached", async () => {
  const a = await buildImage("busybox", { cacheDir: cache, ref: "localhost/test/busybox:1" });
  const bytesA = await Bun.file(a.path).arrayBuffer();
  const b = await buildImage("busybox", { cacheDir: cache, ref: "localhost/test/busybox:1", force: true });
  const c = await buildImage("busybox", { cacheDir: cache, ref: "localhost/test/busybox:1" });
  expect(a.cached).toBe(false);
  expect(c.cached).toBe(true);
  expect(b.manifestDigest).toBe(a.manifestDigest);
  expect(Buffer.from(await Bun.file(b.path).arrayBuffer()).equals(Buffer.from(bytesA))).toBe(true);
});

test("imported busybox image runs under runc: applets, users, /tmp", async () => {
  const img = await buildImage("busybox", { cacheDir: cache, ref: "localhost/test/busybox:1" });
  const t = { address: ctd.address };
  await importImage(img.path, t);
  expect(await listImages(t)).toContain("localhost/test/busybox:1");
  const script =
    "id -u; grep -c . /etc/passwd; su user -c 'id -u' 2>&1 || true; touch /tmp/x && echo tmp-ok; ls /bin | wc -l";
  const { stdout } = await run("ctr", [
    ...ctrBase(t),
    "run",
    "--rm",
    img.ref,
    "img-test",
    "sh",
    "-c",
    script,
  ]);
  const out = stdout.split("\n").map((s) => s.trim());
  expect(out[0]).toBe("0");
  expect(out[1]).toBe("3");
  expect(out).toContain("tmp-ok");
  expect(Number(out.at(-1))).toBeGreaterThan(200);
  // ctr 1.6 `run` has no --user; exec does.
  await run("ctr", [...ctrBase(t), "run", "-d", img.ref, "img-user", "sleep", "60"]);
  const user = await run("ctr", [
    ...ctrBase(t),
    "tasks",
    "exec",
    "--exec-id",
    "u",
    "--user",
    "1000",
    "img-user",
    "id",
  ]);
  expect(user.stdout).toContain("uid=1000(user)");
  expect(user.stdout).toContain("gid=1000(user)");
});

test("stopping the private containerd leaves no process or dir behind", async () => {
  const other = await startPrivateContainerd();
  await other.stop();
  expect(leftoverProcesses(other)).toEqual([]);
  expect(await Bun.file(other.config).exists()).toBe(false);
});

test("runm image build: --output writes the archive, --address imports, no containerd is a clear error", async () => {
  const cli = (args: string[]) =>
    runm(["image", "build", ...args], { env: { RUNM_CACHE_DIR: cache, RUNM_STATE_DIR: cache } });
  const none = await cli(["busybox"]);
  expect(none.code).toBe(1);
  expect(none.stderr).toContain("no dev containerd is running");
  expect(none.stderr).toContain("runm dev containerd");

  const out = join(cache, "out", "bb.tar");
  const r = await cli([
    "busybox",
    "--tag",
    "localhost/test/cli:2",
    "--output",
    out,
    "--address",
    ctd.address,
  ]);
  expect(r.code).toBe(0);
  const [ref, digest] = r.stdout.trim().split(" ");
  expect(ref).toBe("localhost/test/cli:2");
  expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  expect(await Bun.file(out).exists()).toBe(true);
  expect(await listImages({ address: ctd.address })).toContain("localhost/test/cli:2");

  const bad = await cli(["alpine", "--output", out]);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain(
    'unknown image "alpine"; choose one of: busybox, pause, debian, bun, nginx, postgres',
  );
});
