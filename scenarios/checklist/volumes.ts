import { assertEqual, defineScenario } from "../../lib/scenario/index.ts";

export default defineScenario({
  id: "checklist:volumes",
  description: "a named volume keeps data from one container for the next",
  steps: [
    {
      name: "one container writes, the next reads",
      async run(ctx) {
        const image = await ctx.image("busybox");
        const volume = ctx.name("vol");
        ctx.defer(() => ctx.client.removeVolume(volume));
        const mounts = [{ type: "volume" as const, source: volume, target: "/data" }];
        const opts = { timeoutMs: 120_000 };
        await ctx.client.run(
          { image, name: ctx.name("writer"), rm: true, mounts, cmd: ["sh", "-c", "echo kept > /data/f"] },
          opts,
        );
        const r = await ctx.client.run(
          { image, name: ctx.name("reader"), rm: true, mounts, cmd: ["cat", "/data/f"] },
          opts,
        );
        assertEqual(r.stdout.trim(), "kept", "data read by the second container");
      },
    },
  ],
});
