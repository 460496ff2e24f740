// `bun run test`: runs the whole suite with bun's own output, then prints the plain
// "N passed, N failed" line that CI reads (from bun's JUnit report, not its console summary).
import { readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// The VM tests boot the guest images, the host's and the emulated arm64 one: build them first (a
// no-op when cached; each kernel takes minutes on a clean machine), so no test depends on file
// order to find them.
for (const arch of ["x86_64", "arm64"]) {
  const build = Bun.spawnSync(
    ["bun", join(import.meta.dir, "..", "cli", "main.ts"), "build", "all", "--arch", arch],
    {
      stdio: ["ignore", "inherit", "inherit"],
    },
  );
  if (build.exitCode !== 0) {
    console.log("0 passed, 1 failed");
    process.exit(1);
  }
}

const report = join(tmpdir(), `runm-junit-${process.pid}.xml`);
const proc = Bun.spawn(
  [
    "bun",
    "test",
    "--timeout=300000",
    "--reporter=junit",
    `--reporter-outfile=${report}`,
    ...process.argv.slice(2),
  ],
  {
    stdio: ["inherit", "inherit", "inherit"],
  },
);
const code = await proc.exited;

let passed = 0;
let failed = 0;
try {
  const xml = readFileSync(report, "utf8");
  const suite = xml.match(/<testsuites[^>]*>/)?.[0] ?? "";
  const attr = (name: string) => Number(suite.match(new RegExp(`${name}="(\\d+)"`))?.[1] ?? 0);
  failed = attr("failures") + attr("errors");
  passed = attr("tests") - failed - attr("skipped");
  rmSync(report, { force: true });
} catch {
  failed = Math.max(failed, 1);
}
if (code !== 0 && failed === 0) failed = 1; // e.g. a file that failed to load
console.log(`${passed} passed, ${failed} failed`);
process.exit(code === 0 && failed === 0 ? 0 : 1);
