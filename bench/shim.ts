// Shim benchmarks, in one run against one private containerd: median `ctr run --rm IMG true` for
// runm and for plain runc (interleaved, and their ratio), host memory per idle runm container
// (shim + VMM + virtiofsd RSS), and container stdout throughput into containerd's FIFO.
// `bun bench/shim.ts` prints the numbers as JSON.
import { readdirSync, readFileSync } from "node:fs";
import { type Harness, startHarness } from "../test/shim/harness.ts";

const RUNS = 3;
const THROUGHPUT_MIB = 64;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};
const round = (x: number) => Math.round(x * 1000) / 1000;

async function timedRun(h: Harness, runtime: string, id: string): Promise<number> {
  const t0 = performance.now();
  const r = await h.ctr(["run", "--rm", "--runtime", runtime, h.image, id, "true"]);
  const s = (performance.now() - t0) / 1000;
  if (r.code !== 0) throw new Error(`ctr run with ${runtime} failed: ${r.stderr}`);
  return s;
}

function rssKiB(pid: number): number {
  try {
    const m = readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+)/);
    return Number(m?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** PIDs of this container's host processes: its shim, QEMU and virtiofsd. */
function hostPids(h: Harness, id: string): number[] {
  return readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .filter((pid) => {
      try {
        const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
        return (
          (cmd.includes("containerd-shim-runm-v2") &&
            cmd.includes(`-id ${id} `) &&
            cmd.includes(h.ctd.address)) ||
          (/qemu-system|virtiofsd/.test(cmd) && cmd.includes(`default-${id}`))
        );
      } catch {
        return false;
      }
    });
}

export async function benchShim(): Promise<Record<string, number>> {
  const h = await startHarness();
  try {
    // Warm both paths once (page cache, compiled shim, image unpack).
    await timedRun(h, "io.containerd.runc.v2", "warm-runc");
    await timedRun(h, "io.containerd.runm.v2", "warm-runm");
    const runm: number[] = [];
    const runc: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      runc.push(await timedRun(h, "io.containerd.runc.v2", `b-runc-${i}`));
      runm.push(await timedRun(h, "io.containerd.runm.v2", `b-runm-${i}`));
    }

    // Idle container: shim + VMM (+ daemons) RSS once it settled.
    const idle = "b-idle";
    const d = await h.ctr([
      "run",
      "-d",
      "--runtime",
      "io.containerd.runm.v2",
      h.image,
      idle,
      "sleep",
      "1000",
    ]);
    if (d.code !== 0) throw new Error(`idle container failed: ${d.stderr}`);
    await Bun.sleep(3000);
    const pids = hostPids(h, idle);
    const idleMiB = pids.reduce((a, p) => a + rssKiB(p), 0) / 1024;
    await h.ctr(["task", "kill", "-s", "SIGKILL", idle]);
    await Bun.sleep(1500);
    await h.ctr(["task", "delete", idle]);
    await h.ctr(["container", "rm", idle]);

    // Throughput: the container writes N MiB to stdout; ctr reads it from containerd's FIFO.
    const tp = h.spawnCtr([
      "run",
      "--rm",
      "--runtime",
      "io.containerd.runm.v2",
      h.image,
      "b-throughput",
      "sh",
      "-c",
      `sleep 1; echo START >&2; head -c ${THROUGHPUT_MIB * 1048576} /dev/zero; echo END >&2`,
    ]);
    // Time from the first byte to the last: excludes the boot and the teardown after the exit.
    const want = THROUGHPUT_MIB * 1048576;
    let first = 0;
    let last = 0;
    const watch = (async () => {
      while (!last) {
        const n = tp.output().length;
        if (n > 0 && !first) first = performance.now();
        if (n >= want) last = performance.now();
        await Bun.sleep(2);
      }
    })();
    const r = await tp.done;
    last ||= performance.now(); // fewer bytes than asked (reported below): up to the end
    await watch;
    const secs = (last - first) / 1000;
    const bytes = r.stdout.length;
    return {
      runm_ctr_run_rm_true_median_s: round(median(runm)),
      runc_ctr_run_rm_true_median_s: round(median(runc)),
      runm_over_runc_ratio: round(median(runm) / median(runc)),
      runm_idle_host_rss_mib: round(idleMiB),
      runm_idle_host_processes: pids.length,
      runm_stdout_fifo_mib_per_s: round(bytes / 1048576 / secs),
      runm_stdout_bytes: bytes,
    };
  } finally {
    await h.stop();
  }
}

if (import.meta.main) console.log(JSON.stringify(await benchShim(), null, 2));
