// Through containerd, in one run against one private containerd (Debian's 1.6), each runm figure
// beside its baseline measured in the same run:
//   start      `ctr run --rm IMG true`, runm vs plain runc (median, ratio); eight runm at once
//   exec       `ctr task exec ... true` into a running container (median round trip)
//   memory     host PSS per idle container (shim + jail + QEMU), averaged over four idle ones; the
//              template's file reported on its own (its pages are split among the clones' PSS)
//   idle CPU   the shim's and the VMM's share of a core while their container sleeps
//   stdio      50 MiB of `seq` output into containerd's FIFO vs the in-guest pipe rate (`dd | cat`
//              in the same VM), byte-exact (sha256 against the host's own seq); 50 MiB into a
//              container's stdin (sha256 computed inside)
// `bun bench/shim.ts` prints the numbers as JSON.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { listTemplates } from "../lib/sandbox/template.ts";
import { type Harness, startHarness } from "../test/shim/harness.ts";
import { cpuShare, median, pssMiB, round } from "./_stats.ts";

const RUNS = 3;
const IDLE = 4;
const AT_ONCE = 8;
/** `seq 1 N` prints this many bytes for N = SEQ_N (about 50 MiB). */
const SEQ_N = 6_900_000;
const RUNM = "io.containerd.runm.v2";

async function timedRun(h: Harness, runtime: string, id: string): Promise<number> {
  const t0 = performance.now();
  const r = await h.ctr(["run", "--rm", "--runtime", runtime, h.image, id, "true"]);
  const s = (performance.now() - t0) / 1000;
  if (r.code !== 0) throw new Error(`ctr run with ${runtime} failed: ${r.stderr}`);
  return s;
}

/** This container's host processes: its shim, its VMM's jail (unshare) and QEMU. */
function hostPids(h: Harness, id: string): number[] {
  return readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .filter((pid) => {
      try {
        const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
        const shim =
          cmd.includes("containerd-shim-runm-v2") &&
          cmd.includes(`-id ${id} `) &&
          cmd.includes(h.ctd.address);
        return shim || (/qemu-system|unshare/.test(cmd) && cmd.includes(`default-${id}`));
      } catch {
        return false;
      }
    });
}

const programOf = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")[0] ?? "";
  } catch {
    return "";
  }
};

async function runDetached(h: Harness, id: string, cmd: string[]): Promise<void> {
  const r = await h.ctr(["run", "-d", "--runtime", RUNM, h.image, id, ...cmd]);
  if (r.code !== 0) throw new Error(`ctr run -d ${id} failed: ${r.stderr}`);
}

async function remove(h: Harness, id: string): Promise<void> {
  await h.ctr(["task", "kill", "-s", "SIGKILL", id]);
  for (let i = 0; i < 100; i++) {
    const r = await h.ctr(["task", "delete", id]);
    if (r.code === 0 || /not found/.test(r.stderr)) break;
    await Bun.sleep(100);
  }
  await h.ctr(["container", "rm", id]);
}

/** MiB/s of a container's stdout into containerd's FIFO, first byte to last, and whether exact. */
async function stdoutRate(h: Harness): Promise<{ mibps: number; exact: boolean; bytes: number }> {
  const tp = h.spawnCtr([
    "run",
    "--rm",
    "--runtime",
    RUNM,
    h.image,
    "b-stdout",
    "sh",
    "-c",
    `sleep 1; seq 1 ${SEQ_N}`,
  ]);
  const want = Bun.spawnSync(["seq", "1", String(SEQ_N)]).stdout;
  let first = 0;
  let last = 0;
  const watch = (async () => {
    while (!last) {
      const n = tp.output().length;
      if (n > 0 && !first) first = performance.now();
      if (n >= want.length) last = performance.now();
      await Bun.sleep(2);
    }
  })();
  const r = await tp.done;
  last ||= performance.now();
  await watch;
  const got = Buffer.from(r.stdout);
  const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
  return {
    mibps: got.length / 2 ** 20 / ((last - first) / 1000),
    exact: sha(got) === sha(want),
    bytes: got.length,
  };
}

/** The in-guest pipe rate (MiB/s): dd into cat inside the same kind of VM, as dd reports it. */
async function guestPipeRate(h: Harness): Promise<number> {
  const r = await h.ctr([
    "run",
    "--rm",
    "--runtime",
    RUNM,
    h.image,
    "b-pipe",
    "sh",
    "-c",
    "dd if=/dev/zero bs=64k count=800 2>&1 >/dev/null | cat >/dev/null; dd if=/dev/zero bs=64k count=800 | cat >/dev/null",
  ]);
  // busybox dd: "52428800 bytes (50.0MB) copied, 0.8 seconds, 62.3MB/s"
  const m = r.stderr
    .match(/copied, ([\d.]+) seconds/g)
    ?.at(-1)
    ?.match(/([\d.]+) seconds/);
  if (!m) throw new Error(`no dd rate in: ${r.stderr}`);
  return 50 / Number(m[1]);
}

/** MiB/s into a container's stdin (ctr run -i), checked by sha256 inside the container. */
async function stdinRate(h: Harness): Promise<{ mibps: number; exact: boolean }> {
  const data = Bun.spawnSync(["seq", "1", String(SEQ_N)]).stdout;
  const p = Bun.spawn(
    [
      "ctr",
      "--address",
      h.ctd.address,
      "run",
      "--rm",
      "-i",
      "--runtime",
      RUNM,
      h.image,
      "b-stdin",
      "sha256sum",
    ],
    {
      stdin: "pipe",
      stdout: "pipe",
      stderr: "pipe",
      env: { ...process.env, CONTAINERD_SNAPSHOTTER: "overlayfs" },
    },
  );
  const out = new Response(p.stdout).text();
  await Bun.sleep(3000); // the container is running and reading by now
  const t0 = performance.now();
  for (let off = 0; off < data.length; off += 1 << 20) {
    p.stdin.write(data.subarray(off, off + (1 << 20)));
    await p.stdin.flush();
  }
  await p.stdin.end();
  const text = await out;
  const secs = (performance.now() - t0) / 1000;
  await p.exited;
  const want = createHash("sha256").update(data).digest("hex");
  return { mibps: data.length / 2 ** 20 / secs, exact: text.startsWith(want) };
}

export async function benchShim(): Promise<Record<string, number>> {
  const h = await startHarness();
  const out: Record<string, number> = {};
  try {
    // Warm both paths once (page cache, compiled shim, image unpack, the template).
    await timedRun(h, "io.containerd.runc.v2", "warm-runc");
    await timedRun(h, RUNM, "warm-runm");
    const runm: number[] = [];
    const runc: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      runc.push(await timedRun(h, "io.containerd.runc.v2", `b-runc-${i}`));
      runm.push(await timedRun(h, RUNM, `b-runm-${i}`));
    }
    out["shim.runm_ctr_run_rm_true_median_s"] = round(median(runm), 3);
    out["shim.runc_ctr_run_rm_true_median_s"] = round(median(runc), 3);
    out["shim.runm_over_runc_ratio"] = round(median(runm) / median(runc));

    const t8 = performance.now();
    const eight = await Promise.all(
      Array.from({ length: AT_ONCE }, (_, i) =>
        h.ctr(["run", "--rm", "--runtime", RUNM, h.image, `b-eight-${i}`, "sh", "-c", "echo ok"]),
      ),
    );
    out["shim.eight_at_once_ok"] = eight.filter((r) => r.code === 0 && r.stdout === "ok\n").length;
    out["shim.eight_at_once_wall_s"] = round((performance.now() - t8) / 1000);

    // Idle containers: memory, idle CPU, exec latency.
    const idle = Array.from({ length: IDLE }, (_, i) => `b-idle-${i}`);
    for (const id of idle) await runDetached(h, id, ["sleep", "100000"]);
    await Bun.sleep(5000);
    const per = idle.map((id) => hostPids(h, id).reduce((a, p) => a + pssMiB(p), 0));
    out["shim.idle_pss_per_container_mib"] = round(per.reduce((a, b) => a + b, 0) / per.length);
    const t = listTemplates()
      .filter((x) => x.shape.memoryMiB === 512)
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0];
    out["shim.template_resident_mib"] = round((t?.memoryBytes ?? 0) / 2 ** 20);
    const one = idle[0] as string;
    const pids = hostPids(h, one);
    out["shim.idle_shim_cpu_share"] = round(
      await cpuShare(() => pids.filter((p) => /containerd-shim-runm-v2|bun/.test(programOf(p))), 10_000),
      4,
    );
    out["shim.idle_vmm_cpu_share"] = round(
      await cpuShare(() => pids.filter((p) => /qemu-system/.test(programOf(p))), 10_000),
      4,
    );
    const execs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      const r = await h.ctr(["task", "exec", "--exec-id", `e${i}`, one, "true"]);
      if (r.code !== 0) throw new Error(`exec failed: ${r.stderr}`);
      execs.push((performance.now() - t0) / 1000);
    }
    out["shim.exec_true_median_s"] = round(median(execs), 3);
    for (const id of idle) await remove(h, id);

    // stdio.
    const pipe = await guestPipeRate(h);
    const so = await stdoutRate(h);
    out["shim.guest_pipe_mib_per_s"] = round(pipe);
    out["shim.stdout_fifo_mib_per_s"] = round(so.mibps);
    out["shim.stdout_over_guest_pipe"] = round(so.mibps / pipe);
    out["shim.stdout_exact"] = so.exact ? 1 : 0;
    const si = await stdinRate(h);
    out["shim.stdin_mib_per_s"] = round(si.mibps);
    out["shim.stdin_over_guest_pipe"] = round(si.mibps / pipe);
    out["shim.stdin_exact"] = si.exact ? 1 : 0;
    return out;
  } finally {
    await h.stop();
  }
}

if (import.meta.main) console.log(JSON.stringify(await benchShim(), null, 2));
