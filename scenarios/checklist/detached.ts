import { assert, defineScenario, waitFor } from "../../lib/scenario/index.ts";

export default defineScenario({
  id: "checklist:detached",
  description: "a detached container keeps running after run returns, and force-remove stops it",
  steps: [
    {
      name: "run -d returns while the container keeps running",
      async run(ctx) {
        const name = ctx.name("bg");
        await ctx.client.run({
          image: await ctx.image("busybox"),
          name,
          detach: true,
          cmd: ["sleep", "300"],
        });
        await waitFor(
          async () => (await ctx.client.tasks()).some((t) => t.name === name && t.status === "RUNNING"),
          60_000,
          `${name} RUNNING`,
        );
        await ctx.client.removeForce(name);
        assert(!(await ctx.client.containers()).includes(name), "force-remove removed it");
      },
    },
  ],
});
