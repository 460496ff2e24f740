import { expect, test } from "bun:test";
import { hostTscKhz } from "./host-tsc.ts";

test("reads sysfs tsc_freq_khz first, then cpu MHz from /proc/cpuinfo", () => {
  expect(hostTscKhz((p) => (p.includes("tsc_freq_khz") ? "2400000\n" : "cpu MHz\t\t: 1.0"))).toBe(2400000);
  const cpuinfo = "processor\t: 0\ncpu MHz\t\t: 2095.996\n";
  expect(
    hostTscKhz((p) => {
      if (p.includes("tsc_freq_khz")) throw new Error("ENOENT");
      return cpuinfo;
    }),
  ).toBe(2095996);
});

test("this host's value is a plausible CPU frequency", () => {
  const khz = hostTscKhz();
  expect(khz).toBeGreaterThan(100_000);
  expect(khz).toBeLessThan(10_000_000);
});
