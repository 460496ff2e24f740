import { assertEqual, defineScenario } from "../../lib/scenario/index.ts";

export default defineScenario({
  id: "checklist:exit-status",
  description: "run returns the container's exit status",
  steps: [
    {
      name: "sh -c 'exit 42' exits 42",
      async run(ctx) {
        const image = await ctx.image("busybox");
        const r = await ctx.client.run(
          { image, name: ctx.name("exit"), rm: true, cmd: ["sh", "-c", "exit 42"] },
          { allowFail: true, timeoutMs: 120_000 },
        );
        assertEqual(r.code, 42, "exit status");
      },
    },
  ],
});
