// VM benchmarks. benchVm(): the boot timeline of `runm vm run -- echo x` (median over several
// runs) and the ratio of its start-to-first-output to the bare floor (the same kernel booting
// with runm.mode=floor, whose /init prints a marker first thing), measured interleaved in the same
// run. benchShares(): 9p vs virtio-fs (boot, small files, big-file read and write), for docs/VM.md.
// `bun bench/vm.ts [shares]` prints either as JSON.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { FLOOR_MARKER, hostGuestArch } from "../lib/constants.ts";
import { readGuestManifest } from "../lib/guest-manifest.ts";
import { runContainer } from "../lib/vm/container-run.ts";
import { DEFAULT_VM_CPUS } from "../lib/vm/defaults.ts";
import { hostDriver } from "../lib/vm/select-driver.ts";
import { type BootTimeline, PHASES } from "../lib/vm/timeline.ts";
import type { ShareKind } from "../lib/vm/vm-interface.ts";
import { buildBusyboxRootfs } from "../test/fixtures/busybox-rootfs.ts";

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};
const round = (x: number) => Math.round(x * 100) / 100;

class Collect extends Writable {
  text = "";
  override _write(chunk: Buffer, _enc: string, cb: () => void) {
    this.text += chunk.toString();
    cb();
  }
}

async function floorBootMs(): Promise<number> {
  const m = readGuestManifest(hostGuestArch());
  const vm = (await hostDriver()).configure({
    id: `bench-floor-${process.pid}`,
    arch: m.arch,
    kernel: m.kernel.path,
    initrd: m.initramfs.path,
    mbinDisk: m.squashfs.path,
    mode: "floor",
    cpus: DEFAULT_VM_CPUS, // as the container runs below: the same boot work
    memoryMiB: 512,
    shares: [],
    ports: [],
    console: "file",
  });
  try {
    const tl = await vm.start({ kind: "console", marker: FLOOR_MARKER });
    return tl.get("ready") as number;
  } finally {
    await vm.shutdown();
  }
}

async function runOnce(
  rootfs: string,
  args: string[],
  shareKind: ShareKind = "9p",
  volumes: { source: string; destination: string; readOnly: boolean }[] = [],
) {
  const out = new Collect();
  const r = await runContainer({
    rootfs,
    args,
    shareKind,
    volumes,
    id: `bench-${process.pid}`,
    io: { stdin: process.stdin, stdout: out, stderr: out },
  });
  if (r.exitCode !== 0) throw new Error(`bench container exited ${r.exitCode}: ${out.text}`);
  return { timeline: r.timeline, output: out.text };
}

async function withRootfs<T>(fn: (rootfs: string, work: string) => Promise<T>): Promise<T> {
  const work = mkdtempSync(join(tmpdir(), "runm-bench-"));
  try {
    const rootfs = await buildBusyboxRootfs(join(work, "rootfs"));
    return await fn(rootfs, work);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export async function benchVm(runs = 5): Promise<Record<string, number>> {
  return withRootfs(async (rootfs) => {
    const phases: Record<string, number[]> = {};
    const floors: number[] = [];
    for (let i = 0; i < runs; i++) {
      floors.push(await floorBootMs());
      const { timeline } = await runOnce(rootfs, ["echo", "x"]);
      for (const p of PHASES) {
        const t = timeline.get(p);
        if (t === undefined) continue;
        phases[p] ??= [];
        phases[p].push(t);
      }
    }
    const result: Record<string, number> = { "vm.runs": runs };
    for (const [p, xs] of Object.entries(phases)) result[`vm.${p}_ms`] = round(median(xs));
    result["vm.floor_ms"] = round(median(floors));
    result["vm.first_output_over_floor"] = round(median(phases.firstOutput ?? [0]) / median(floors));
    return result;
  });
}

const SMALL_FILES =
  "cd /data && i=0; while [ $i -lt 300 ]; do echo hello > f$i; i=$((i+1)); done; cat f* > /dev/null; rm f*";

export async function benchShares(runs = 3): Promise<Record<string, number>> {
  return withRootfs(async (rootfs, work) => {
    const data = join(work, "data");
    mkdirSync(data);
    const result: Record<string, number> = {};
    for (const kind of ["9p", "virtiofs"] as const) {
      const ready: number[] = [];
      const small: number[] = [];
      const readMBs: number[] = [];
      const writeMBs: number[] = [];
      for (let i = 0; i < runs; i++) {
        // A fresh 64 MiB file per run: the read cannot come from a guest cache.
        writeFileSync(join(data, "big"), Buffer.alloc(64 << 20, 7));
        const vol = [{ source: data, destination: "/data", readOnly: false }];
        const a = await runOnce(rootfs, ["sh", "-c", SMALL_FILES], kind, vol);
        ready.push(a.timeline.get("ready") as number);
        small.push((a.timeline.get("exit") as number) - (a.timeline.get("started") as number));
        const b = await runOnce(rootfs, ["dd", "if=/data/big", "of=/dev/null", "bs=1M"], kind, vol);
        readMBs.push(64 / busySeconds(b.timeline));
        const c = await runOnce(
          rootfs,
          ["dd", "if=/dev/zero", "of=/data/out", "bs=1M", "count=64"],
          kind,
          vol,
        );
        writeMBs.push(64 / busySeconds(c.timeline));
      }
      result[`${kind}.ready_ms`] = round(median(ready));
      result[`${kind}.small_files_300_ms`] = round(median(small));
      result[`${kind}.read_64MiB_MBps`] = round(median(readMBs));
      result[`${kind}.write_64MiB_MBps`] = round(median(writeMBs));
    }
    return result;
  });
}

/** Seconds the container ran (started → exit, as the host saw it). */
function busySeconds(tl: BootTimeline): number {
  return Math.max(((tl.get("exit") as number) - (tl.get("started") as number)) / 1000, 0.001);
}

if (import.meta.main) {
  const r = process.argv[2] === "shares" ? await benchShares() : await benchVm();
  process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
  process.exit(0);
}
