// The host TSC frequency in kHz for the guest's `tsc_early_khz=`: under TCG, microvm with a PVH
// kernel hangs calibrating the TSC in about 1 boot of 3 without it (design.md §3).
import { readFileSync } from "node:fs";

/** kHz from sysfs (exact, when the kernel exposes it) or /proc/cpuinfo's "cpu MHz"; null if neither. */
export function hostTscKhz(read = (p: string) => readFileSync(p, "utf8")): number | null {
  try {
    const khz = Number(read("/sys/devices/system/cpu/cpu0/tsc_freq_khz").trim());
    if (khz > 0) return Math.round(khz);
  } catch {
    // not exposed by this kernel
  }
  try {
    const m = /^cpu MHz\s*:\s*([\d.]+)/m.exec(read("/proc/cpuinfo"));
    if (m) return Math.round(Number(m[1]) * 1000);
  } catch {
    // no procfs
  }
  return null;
}
