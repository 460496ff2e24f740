import { assertEqual, defineScenario } from "../../lib/scenario/index.ts";

export default defineScenario({
  id: "checklist:workdir",
  description: "the working directory given to run is the process's cwd",
  steps: [
    {
      name: "pwd prints /tmp",
      async run(ctx) {
        const r = await ctx.client.run(
          { image: await ctx.image("busybox"), name: ctx.name("cwd"), rm: true, cwd: "/tmp", cmd: ["pwd"] },
          { timeoutMs: 120_000 },
        );
        assertEqual(r.stdout.trim(), "/tmp", "working directory");
      },
    },
  ],
});
