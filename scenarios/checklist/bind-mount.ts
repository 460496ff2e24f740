import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { assertEqual, assertIncludes, defineScenario } from "../../lib/scenario/index.ts";

export default defineScenario({
  id: "checklist:bind-mount",
  description: "a host directory bind-mounted read-write is readable and writable from the container",
  steps: [
    {
      name: "read the host's file and write one back",
      async run(ctx) {
        const dir = await ctx.tmpDir();
        writeFileSync(join(dir, "in.txt"), "hello-from-host\n");
        const r = await ctx.client.run(
          {
            image: await ctx.image("busybox"),
            name: ctx.name("bind"),
            rm: true,
            mounts: [{ type: "bind", source: dir, target: "/mnt/host" }],
            cmd: ["sh", "-c", "cat /mnt/host/in.txt && echo from-container > /mnt/host/out.txt"],
          },
          { timeoutMs: 120_000 },
        );
        assertIncludes(r.stdout, "hello-from-host", "container read the host file");
        assertEqual(
          readFileSync(join(dir, "out.txt"), "utf8"),
          "from-container\n",
          "host sees the container's file",
        );
      },
    },
  ],
});
