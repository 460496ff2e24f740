// VM benchmarks, each against a baseline measured in the same run:
//   benchVm()     `runm vm run -- echo x` restored from its template (median boot timeline) and
//                 booted cold, vs the bare floor (the same kernel booting with runm.mode=floor,
//                 whose /init prints a marker first thing), interleaved
//   benchIdle()   an idle container's VMM and agent CPU vs a bare idle guest (runm.mode=idle) of
//                 the same image
//   benchTty()    container output through a terminal vs through pipes (`seq` into the host)
//   benchShares() 9p vs virtio-fs (boot, small files, big-file read and write), for docs/VM.md
// `bun bench/vm.ts [shares|idle|tty]` prints one as JSON.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { BOOT_MARKER, FLOOR_MARKER, type GuestMode, hostGuestArch } from "../lib/constants.ts";
import { readGuestManifest } from "../lib/guest-manifest.ts";
import { generateSpec } from "../lib/oci/spec.ts";
import { planMounts } from "../lib/sandbox/mounts.ts";
import { defaultSandboxConfig, Sandbox } from "../lib/sandbox/sandbox.ts";
import { type ContainerRunOptions, runContainer } from "../lib/vm/container-run.ts";
import { DEFAULT_VM_CPUS, DEFAULT_VM_MEMORY_MIB } from "../lib/vm/defaults.ts";
import { hostDriver } from "../lib/vm/select-driver.ts";
import { type BootTimeline, PHASES } from "../lib/vm/timeline.ts";
import { hasHostPids, type ShareKind } from "../lib/vm/vm-interface.ts";
import { buildBusyboxRootfs } from "../test/fixtures/busybox-rootfs.ts";
import { cpuShare, median, round, withDescendants } from "./_stats.ts";

class Collect extends Writable {
  text = "";
  bytes = 0;
  constructor(private readonly keep = true) {
    super();
  }
  override _write(chunk: Buffer, _enc: string, cb: () => void) {
    this.bytes += chunk.length;
    if (this.keep) this.text += chunk.toString();
    cb();
  }
}

/** Boot the bare guest in `mode` (floor or idle) until its marker; returns ms to it and the VM. */
async function bareGuest(mode: GuestMode, marker: string, id: string) {
  const m = readGuestManifest(hostGuestArch());
  const vm = (await hostDriver()).configure({
    id,
    arch: m.arch,
    kernel: m.kernel.path,
    initrd: m.initramfs.path,
    mbinDisk: m.squashfs.path,
    mode,
    cpus: DEFAULT_VM_CPUS, // as the containers below: the same boot work
    memoryMiB: DEFAULT_VM_MEMORY_MIB,
    shares: [],
    ports: [],
    console: "file",
  });
  const tl = await vm.start({ kind: "console", marker });
  return { ms: tl.get("ready") as number, vm };
}

async function floorBootMs(): Promise<number> {
  const { ms, vm } = await bareGuest("floor", FLOOR_MARKER, `bench-floor-${process.pid}`);
  await vm.shutdown();
  return ms;
}

async function runOnce(rootfs: string, args: string[], o: Partial<ContainerRunOptions> = {}, keep = true) {
  const out = new Collect(keep);
  const r = await runContainer({
    rootfs,
    args,
    shareKind: "9p",
    id: `bench-${process.pid}`,
    io: { stdin: process.stdin, stdout: out, stderr: out },
    ...o,
  });
  if (r.exitCode !== 0) throw new Error(`bench container exited ${r.exitCode}: ${out.text.slice(-500)}`);
  return { timeline: r.timeline, output: out.text, bytes: out.bytes };
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
    await runOnce(rootfs, ["true"]); // the template, built once if missing
    const phases: Record<string, number[]> = {};
    const floors: number[] = [];
    const cold: number[] = [];
    for (let i = 0; i < runs; i++) {
      floors.push(await floorBootMs());
      const { timeline } = await runOnce(rootfs, ["echo", "x"]);
      for (const p of PHASES) {
        const t = timeline.get(p);
        if (t === undefined) continue;
        phases[p] ??= [];
        phases[p].push(t);
      }
      if (i < 2)
        cold.push(
          (await runOnce(rootfs, ["echo", "x"], { cold: true })).timeline.get("firstOutput") as number,
        );
    }
    const result: Record<string, number> = { "vm.runs": runs };
    for (const [p, xs] of Object.entries(phases)) result[`vm.${p}_ms`] = round(median(xs));
    result["vm.floor_ms"] = round(median(floors));
    result["vm.first_output_over_floor"] = round(median(phases.firstOutput ?? [0]) / median(floors));
    result["vm.cold_first_output_ms"] = round(median(cold));
    return result;
  });
}

export async function benchIdle(settleMs = 20_000, windowMs = 10_000): Promise<Record<string, number>> {
  const bare = await bareGuest("idle", BOOT_MARKER, `bench-idle-${process.pid}`);
  let bareShare: number;
  try {
    await Bun.sleep(settleMs);
    bareShare = await cpuShare(
      () => withDescendants(hasHostPids(bare.vm) ? bare.vm.hostPids() : []),
      windowMs,
    );
  } finally {
    await bare.vm.shutdown();
  }
  return withRootfs(async (rootfs) => {
    const plan = planMounts("idle", "/", [{ type: "bind", source: rootfs, options: ["ro"] }], {});
    const s = await Sandbox.start(defaultSandboxConfig(`bench-idlec-${process.pid}`, plan.shares));
    try {
      await s.agent.create("idle", generateSpec({ args: ["sleep", "100000"], rootfs: plan.rootfs }), {
        rootfs: plan.rootfs,
      });
      const drain = (async () => {
        for await (const _ of s.agent.output({ containerId: "idle" })) {
          // nothing: an idle container's open output stream is part of what is measured
        }
      })().catch(() => {});
      await s.agent.start({ containerId: "idle" });
      await Bun.sleep(settleMs);
      const a = await s.agent.hello();
      const vmm = await cpuShare(() => withDescendants(s.hostPids()), windowMs);
      const b = await s.agent.hello();
      await s.agent.kill({ containerId: "idle" }, 9);
      await s.agent.wait({ containerId: "idle" });
      await drain;
      return {
        "idle.bare_guest_vmm_cpu_share": round(bareShare, 4),
        "idle.container_vmm_cpu_share": round(vmm, 4),
        "idle.container_over_bare": round(vmm / Math.max(bareShare, 0.0001)),
        "idle.agent_cpu_share": round((b.agentCpuUsec - a.agentCpuUsec) / 1e6 / (windowMs / 1000), 4),
        "idle.agent_wakeups_per_s": round((b.readinessSignals - a.readinessSignals) / (windowMs / 1000), 3),
      };
    } finally {
      await s.shutdown();
    }
  });
}

/** `seq 1 N` through a terminal and through pipes, first output byte to exit. */
export async function benchTty(n = 600_000): Promise<Record<string, number>> {
  return withRootfs(async (rootfs) => {
    const rate = async (tty: boolean) => {
      const r = await runOnce(rootfs, ["seq", "1", String(n)], { tty }, false);
      const secs = ((r.timeline.get("exit") as number) - (r.timeline.get("firstOutput") as number)) / 1000;
      return r.bytes / 2 ** 20 / Math.max(secs, 0.001);
    };
    const pipes = await rate(false);
    const tty = await rate(true);
    return {
      "tty.pipes_mib_per_s": round(pipes),
      "tty.tty_mib_per_s": round(tty),
      "tty.tty_over_pipes": round(tty / pipes),
    };
  });
}

const SMALL_FILES =
  "cd /data && i=0; while [ $i -lt 300 ]; do echo hello > f$i; i=$((i+1)); done; cat f* > /dev/null; rm f*";

export async function benchShares(runs = 3): Promise<Record<string, number>> {
  return withRootfs(async (rootfs, work) => {
    const data = join(work, "data");
    mkdirSync(data);
    const result: Record<string, number> = {};
    for (const kind of ["9p", "virtiofs"] as ShareKind[]) {
      const ready: number[] = [];
      const small: number[] = [];
      const readMBs: number[] = [];
      const writeMBs: number[] = [];
      for (let i = 0; i < runs; i++) {
        // A fresh 64 MiB file per run: the read cannot come from a guest cache.
        writeFileSync(join(data, "big"), Buffer.alloc(64 << 20, 7));
        const o = { shareKind: kind, volumes: [{ source: data, destination: "/data", readOnly: false }] };
        const a = await runOnce(rootfs, ["sh", "-c", SMALL_FILES], o);
        ready.push(a.timeline.get("ready") as number);
        small.push((a.timeline.get("exit") as number) - (a.timeline.get("started") as number));
        const b = await runOnce(rootfs, ["dd", "if=/data/big", "of=/dev/null", "bs=1M"], o);
        readMBs.push(64 / busySeconds(b.timeline));
        const c = await runOnce(rootfs, ["dd", "if=/dev/zero", "of=/data/out", "bs=1M", "count=64"], o);
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
  const which = process.argv[2];
  const r =
    which === "shares"
      ? await benchShares()
      : which === "idle"
        ? await benchIdle()
        : which === "tty"
          ? await benchTty()
          : await benchVm();
  process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
  process.exit(0);
}
