// The original runm's 2025-07-02 scenario: a small TypeScript project (scenarios/_apps/ts-app: a
// calculator module, a file processor that writes 50 JSON records, and their tests) bind-mounted
// read-only at /app in a bun image, with a writable output dir at /out. In the container: show the
// mount table, then install, test, build and start the project (from a copy, since /app is
// read-only); the host then reads the 50 records the container wrote.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../lib/paths.ts";
import { assert, assertEqual, assertIncludes, defineScenario } from "../lib/scenario/index.ts";

const APP = join(REPO_ROOT, "scenarios", "_apps", "ts-app");

export default defineScenario({
  id: "2025-07-02:01",
  description:
    "a TypeScript project read-only at /app in a bun image: install, test, build, start; 50 records out",
  steps: [
    {
      name: "install, test, build and start the project in the container",
      async run(ctx) {
        const out = await ctx.tmpDir();
        const script = [
          "set -e",
          "grep ' /app ' /proc/self/mountinfo",
          "cp -r /app /tmp/app && cd /tmp/app",
          "bun install",
          "bun test 2>&1",
          "bun build src/main.ts --outdir dist --target bun",
          "bun dist/main.js /out",
        ].join("\n");
        const t0 = Date.now();
        const r = await ctx.client.run(
          {
            image: await ctx.image("bun"),
            name: ctx.name("ts-app"),
            rm: true,
            mounts: [
              { type: "bind", source: APP, target: "/app", readonly: true },
              { type: "bind", source: out, target: "/out" },
            ],
            cmd: ["sh", "-c", script],
          },
          { timeoutMs: 300_000 },
        );
        ctx.note(
          `install, test, build and start took ${((Date.now() - t0) / 1000).toFixed(1)} s (the original expects < 30 s)`,
        );
        assertEqual(r.code, 0, "exit code");
        const mountLine = r.stdout.split("\n").find((l) => l.includes(" /app ")) ?? "";
        assert(/ \/app ro[, ]/.test(mountLine), `/app is mounted read-only: ${mountLine}`);
        assertIncludes(r.stdout, " 4 pass\n 0 fail\n", "the project's own tests");
        assertIncludes(r.stdout, "wrote 50 files to /out\n", "the built program's output");
        const names = readdirSync(out).sort();
        assertEqual(names.length, 50, "records on the host");
        const last = JSON.parse(readFileSync(join(out, "record-50.json"), "utf8"));
        assertEqual(last, { id: 50, sumOfSquares: 42925, mean: 858.5 }, "record 50 as the host reads it");
      },
    },
  ],
});
