import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { assert, assertIncludes, defineScenario } from "../../lib/scenario/index.ts";

export default defineScenario({
  id: "checklist:read-only-mount",
  description: "a read-only bind mount can be read but refuses writes",
  steps: [
    {
      name: "writing to a read-only mount fails",
      async run(ctx) {
        const dir = await ctx.tmpDir();
        writeFileSync(join(dir, "in.txt"), "read-me\n");
        const r = await ctx.client.run(
          {
            image: await ctx.image("busybox"),
            name: ctx.name("ro"),
            rm: true,
            mounts: [{ type: "bind", source: dir, target: "/mnt/ro", readonly: true }],
            cmd: ["sh", "-c", "cat /mnt/ro/in.txt; touch /mnt/ro/new.txt"],
          },
          { allowFail: true, timeoutMs: 120_000 },
        );
        assertIncludes(r.stdout, "read-me", "the file is readable");
        assertIncludes(r.stdout + r.stderr, "Read-only file system", "the write is refused");
        assert(r.code !== 0, "the container exits non-zero");
        assert(!existsSync(join(dir, "new.txt")), "nothing was written on the host");
      },
    },
  ],
});
