// VM templates (Kata's "VM templating", Firecracker's snapshots): for each VM shape, one guest is
// booted, warmed by a whole container lifecycle (warmup.ts) and snapshotted; every later sandbox
// of that shape restores a copy-on-write clone of it instead of booting (docs/ARCHITECTURE.md
// "Starting without booting"). A template is:
//   <templates>/<key>/memory          the guest's RAM (tmpfs), mapped privately by every clone
//   <templates>/<key>/state           the device state QEMU saved (tens of KB)
//   <templates>/<key>/template.json   its shape and when it was made
// The key hashes the shape: guest image (kernel, initramfs, squashfs by content), the VMM binary
// and accelerator, vCPUs, memory and the recipe. A changed input gives a new key, so a stale
// template is never used; it is rebuilt on first use, once, under a lock that concurrent first
// users wait on.
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";
import { keyOf } from "../build/hash.ts";
import type { GuestArch } from "../constants.ts";
import { failedPrecondition, invalidArgument, messageOf } from "../errors.ts";
import type { GuestManifest } from "../guest-manifest.ts";
import { busyboxRootfs, findBusybox } from "../image/busybox-rootfs.ts";
import { writeRootfsDir } from "../image/rootfs-dir.ts";
import { withLock } from "../lock.ts";
import { logger } from "../log.ts";
import { dirs } from "../paths.ts";
import { requireTool } from "../tools.ts";
import { isSnapshottable, type VmDriver } from "../vm/vm-interface.ts";
import { startAgentVm } from "./boot.ts";
import { WARM_SHARE, warmUp } from "./warmup.ts";

const log = logger("template");
/** Bump when how a template is made changes (its warm-up, its devices). */
const TEMPLATE_RECIPE = 3;

export interface TemplateShape {
  arch: GuestArch;
  kernel: string;
  initramfs: string;
  squashfs: string;
  vmm: string;
  cpus: number;
  memoryMiB: number;
  shareKind: "9p";
  recipe: number;
  /** "pod": a tap NIC for pods on a CNI network (absent: the user-mode network's NIC). */
  network?: "pod";
}

export interface Template {
  key: string;
  dir: string;
  memoryFile: string;
  stateFile: string;
  shape: TemplateShape;
}

export interface TemplateInfo extends Template {
  createdAt: string;
  /** Bytes of tmpfs the memory file holds (only the pages the template touched). */
  memoryBytes: number;
  buildMs: number;
}

export function templateShape(
  manifest: GuestManifest,
  driver: VmDriver,
  size: { cpus: number; memoryMiB: number; podNetwork?: boolean },
): TemplateShape {
  return {
    // Absent for the user-mode network, so those templates keep the keys they had.
    ...(size.podNetwork ? { network: "pod" as const } : {}),
    arch: manifest.arch,
    kernel: manifest.kernel.sha256,
    initramfs: manifest.initramfs.sha256,
    squashfs: manifest.squashfs.sha256,
    vmm: driver.identity(),
    cpus: size.cpus,
    memoryMiB: size.memoryMiB,
    shareKind: "9p",
    recipe: TEMPLATE_RECIPE,
  };
}

function describe(key: string, root: string, shape: TemplateShape): Template {
  const dir = join(root, key);
  return { key, dir, memoryFile: join(dir, "memory"), stateFile: join(dir, "state"), shape };
}

function complete(t: Template): boolean {
  return existsSync(t.stateFile) && existsSync(t.memoryFile) && existsSync(join(t.dir, "template.json"));
}

export interface EnsureTemplateInput {
  manifest: GuestManifest;
  driver: VmDriver;
  cpus: number;
  memoryMiB: number;
  bootTimeoutMs?: number;
  root?: string;
  /** The shape of a pod on a CNI network: a tap NIC (lib/vm/qemu/pod-network.ts). */
  podNetwork?: boolean;
}

/** The template for this shape, built first if there is none. */
export async function ensureTemplate(i: EnsureTemplateInput): Promise<Template> {
  if (!i.driver.snapshots) throw invalidArgument(`the ${i.driver.name} driver cannot make templates`);
  const root = i.root ?? dirs().templates;
  const shape = templateShape(i.manifest, i.driver, i);
  const key = keyOf(shape).slice(0, 16);
  const t = describe(key, root, shape);
  if (complete(t)) return t;
  mkdirSync(root, { recursive: true, mode: 0o700 });
  return withLock(
    join(root, `${key}.lock`),
    async () => {
      if (complete(t)) return t; // built by whoever held the lock
      await buildTemplate(t, i);
      pruneStale(t.shape, root);
      return t;
    },
    (holder) => log.info(`waiting for template ${key} (being built by pid ${holder ?? "?"})`),
  );
}

async function buildTemplate(t: Template, i: EnsureTemplateInput): Promise<void> {
  const started = performance.now();
  log.info(
    `building template ${t.key} (${t.shape.cpus} vCPU, ${t.shape.memoryMiB} MiB): boot, warm up, snapshot`,
  );
  const tmp = `${t.dir}.build-${process.pid}`;
  sweepBuilds(t.key, dirname(t.dir));
  mkdirSync(tmp, { recursive: true, mode: 0o700 });
  const memoryFile = join(tmp, "memory");
  writeFileSync(memoryFile, "");
  const warm = await writeRootfsDir(busyboxRootfs(await findBusybox(i.manifest.arch)), join(tmp, WARM_SHARE));
  const m = i.manifest;
  let vm: Awaited<ReturnType<typeof startAgentVm>> | undefined;
  // A pod shape's tap lives in a scratch namespace of this build's, removed with it.
  const scratch = t.shape.network === "pod" ? scratchNetns(t.key) : undefined;
  try {
    vm = await startAgentVm(i.driver, {
      id: `template-${t.key}`,
      arch: m.arch,
      kernel: m.kernel.path,
      initrd: m.initramfs.path,
      mbinDisk: m.squashfs.path,
      mode: "agent",
      guestLogLevel: "info",
      cpus: t.shape.cpus,
      memoryMiB: t.shape.memoryMiB,
      boot: { kind: "template", memoryFile },
      shares: [{ name: WARM_SHARE, hostPath: warm, readOnly: true }],
      shareKind: "9p",
      ports: [],
      podNetns: scratch,
      bareTap: scratch !== undefined,
      console: "file",
      bootTimeoutMs: i.bootTimeoutMs,
    });
    await warmUp(vm.agent, vm.vm.shareMounts());
    vm.agent.close(); // the snapshot waits until QEMU has seen both channels close
    if (!isSnapshottable(vm.vm)) throw invalidArgument("this VM cannot be snapshotted");
    await vm.vm.snapshot(join(tmp, "state"));
  } catch (e) {
    const console = vm ? vm.vm.consoleTail(10) : [];
    await vm?.vm.shutdown();
    removeScratchNetns(scratch);
    rmSync(tmp, { recursive: true, force: true });
    throw Object.assign(e instanceof Error ? e : new Error(messageOf(e)), {
      details: [...((e as { details?: string[] }).details ?? []), ...console],
    });
  }
  await vm.vm.shutdown();
  removeScratchNetns(scratch);
  rmSync(join(tmp, WARM_SHARE), { recursive: true, force: true });
  const buildMs = Math.round(performance.now() - started);
  writeFileSync(
    join(tmp, "template.json"),
    `${JSON.stringify({ key: t.key, shape: t.shape, createdAt: new Date().toISOString(), buildMs }, null, 2)}\n`,
  );
  rmSync(t.dir, { recursive: true, force: true });
  renameSync(tmp, t.dir);
  log.info(`template ${t.key} ready in ${(buildMs / 1000).toFixed(1)} s`);
}

/**
 * Remove what earlier builds of `key` left: a builder killed half-way (a shim SIGTERMed during
 * its first container, a Ctrl-C) leaves its `<key>.build-<pid>` dir, memory file and all, in
 * tmpfs. Called under the key's lock, so no live process is building it.
 */
export function sweepBuilds(key: string, root: string): void {
  for (const name of readdirSync(root))
    if (name.startsWith(`${key}.build-`)) rmSync(join(root, name), { recursive: true, force: true });
  if (existsSync(NETNS_DIR))
    for (const name of readdirSync(NETNS_DIR))
      if (name.startsWith(`${SCRATCH_PREFIX}${key}-`)) removeScratchNetns(join(NETNS_DIR, name));
}

const NETNS_DIR = "/run/netns";
const SCRATCH_PREFIX = "runm-template-";

/** A named network namespace for one build of template `key`: its path. */
function scratchNetns(key: string): string {
  const name = `${SCRATCH_PREFIX}${key}-${process.pid}`;
  const r = Bun.spawnSync([requireTool("ip"), "netns", "add", name], { stderr: "pipe" });
  if (r.exitCode !== 0)
    throw failedPrecondition(
      `cannot make the pod template's network namespace ${name}: ${r.stderr.toString().trim()}`,
    );
  return join(NETNS_DIR, name);
}

function removeScratchNetns(path: string | undefined): void {
  if (path) Bun.spawnSync([requireTool("ip"), "netns", "del", basename(path)], { stderr: "ignore" });
}

/**
 * Remove the templates made from another guest image or VMM than `shape`'s: they can never be
 * used again (their keys no longer match) and each holds its guest's memory in tmpfs. A clone
 * still running from one keeps its mapping; the file goes when the last one exits.
 */
function pruneStale(shape: TemplateShape, root: string): void {
  const same = (s: TemplateShape) =>
    s.arch !== shape.arch ||
    (s.kernel === shape.kernel &&
      s.initramfs === shape.initramfs &&
      s.squashfs === shape.squashfs &&
      s.vmm === shape.vmm);
  const stale = listTemplates(root).filter((t) => !same(t.shape));
  if (stale.length === 0) return;
  removeTemplates(
    stale.map((t) => t.key),
    root,
  );
  log.info(`removed ${stale.length} stale template(s): ${stale.map((t) => t.key).join(" ")}`);
}

/** Every template under `root`, complete or not. */
export function listTemplates(root = dirs().templates): TemplateInfo[] {
  if (!existsSync(root)) return [];
  const out: TemplateInfo[] = [];
  for (const name of readdirSync(root).sort()) {
    const dir = join(root, name);
    if (name.includes(".") || !statSync(dir).isDirectory()) continue;
    try {
      const rec = JSON.parse(readFileSync(join(dir, "template.json"), "utf8"));
      const t = describe(name, root, rec.shape);
      out.push({
        ...t,
        createdAt: rec.createdAt,
        buildMs: rec.buildMs,
        // st_blocks: the pages the guest touched, not the file's apparent size.
        memoryBytes: statSync(t.memoryFile).blocks * 512,
      });
    } catch {
      // being built, or broken: `runm template rm` removes it
    }
  }
  return out;
}

/** Remove templates by key (all when `keys` is empty); returns the keys removed. */
export function removeTemplates(keys: string[], root = dirs().templates): string[] {
  if (!existsSync(root)) return [];
  const names = readdirSync(root).filter((n) => !n.endsWith(".lock"));
  const doomed = keys.length ? names.filter((n) => keys.includes(n)) : names;
  for (const n of doomed) rmSync(join(root, n), { recursive: true, force: true });
  return doomed;
}
