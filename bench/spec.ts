// runm's performance promises (docs/SPECIFICATION.md), each a key `bun run bench` reports, the
// direction that is better, and the bound it promises on this machine (TCG, 2 cores). `--compare`
// judges a run against a saved one with these.
export interface Promise_ {
  key: string;
  better: "lower" | "higher";
  /** The promised bound (lower keys: at most; higher keys: at least); undefined: reported only. */
  bound?: number;
  what: string;
}

export const PROMISES: Promise_[] = [
  {
    key: "vm.firstOutput_ms",
    better: "lower",
    bound: 1200,
    what: "runm vm run -- echo x: start to first output (ms)",
  },
  {
    key: "vm.first_output_over_floor",
    better: "lower",
    bound: 1.2,
    what: "the same over the bare kernel's boot to /init",
  },
  {
    key: "vm.cold_first_output_ms",
    better: "lower",
    what: "the cold path (--cold): start to first output (ms)",
  },
  {
    key: "shim.runm_ctr_run_rm_true_median_s",
    better: "lower",
    bound: 1.5,
    what: "ctr run --rm IMG true with runm (s)",
  },
  { key: "shim.runm_over_runc_ratio", better: "lower", bound: 8, what: "the same over plain runc, same run" },
  {
    key: "shim.eight_at_once_ok",
    better: "higher",
    bound: 8,
    what: "eight containers started at once that ran and exited cleanly",
  },
  {
    key: "shim.idle_pss_per_container_mib",
    better: "lower",
    bound: 150,
    what: "host memory per idle container: shim + jail + VMM PSS (MiB)",
  },
  {
    key: "shim.template_resident_mib",
    better: "lower",
    what: "the template's memory file, counted once (MiB)",
  },
  { key: "shim.exec_true_median_s", better: "lower", what: "ctr task exec ... true round trip (s)" },
  {
    key: "shim.joined_ctr_run_rm_true_median_s",
    better: "lower",
    what: "ctr run --rm IMG true into a running sandbox's VM, as a pod's later container (s)",
  },
  {
    key: "shim.spare_ctr_run_rm_true_median_s",
    better: "lower",
    bound: 1.5,
    what: "ctr run --rm IMG true with the runtime option spare, a warm spare ready (s)",
  },
  {
    key: "shim.spare_over_runc_ratio",
    better: "lower",
    bound: 8,
    what: "the same over plain runc, same run",
  },
  {
    key: "idle.container_over_bare",
    better: "lower",
    bound: 2,
    what: "an idle container's VMM CPU over a bare idle guest's",
  },
  { key: "idle.agent_cpu_share", better: "lower", what: "the idle agent's share of a (TCG) core" },
  { key: "shim.idle_shim_cpu_share", better: "lower", what: "the idle shim's share of a core" },
  {
    key: "shim.stdout_over_guest_pipe",
    better: "higher",
    bound: 0.5,
    what: "stdout into containerd's FIFO over the in-guest pipe rate",
  },
  {
    key: "shim.stdout_exact",
    better: "higher",
    bound: 1,
    what: "50 MiB of stdout arrived byte-exact (sha256)",
  },
  {
    key: "shim.stdin_over_guest_pipe",
    better: "higher",
    bound: 0.5,
    what: "stdin into a container over the in-guest pipe rate",
  },
  {
    key: "shim.stdin_exact",
    better: "higher",
    bound: 1,
    what: "50 MiB of stdin arrived byte-exact (sha256)",
  },
  {
    key: "tty.tty_over_pipes",
    better: "higher",
    bound: 0.5,
    what: "output through a terminal over output through pipes",
  },
];

/** Whether `v` keeps promise `p` (true when it has no bound). */
export const keeps = (p: Promise_, v: number) =>
  p.bound === undefined || (p.better === "lower" ? v <= p.bound : v >= p.bound);
