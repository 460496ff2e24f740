import { assert, defineScenario, startSleeper } from "../../lib/scenario/index.ts";

export default defineScenario({
  id: "checklist:detached",
  description: "a detached container keeps running after run returns, and force-remove stops it",
  steps: [
    {
      name: "run -d returns while the container keeps running",
      async run(ctx) {
        const name = await startSleeper(ctx, "bg");
        await ctx.client.removeForce(name);
        assert(!(await ctx.client.containers()).includes(name), "force-remove removed it");
      },
    },
  ],
});
