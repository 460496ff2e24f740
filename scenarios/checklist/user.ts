import { assertEqual, defineScenario, startSleeper } from "../../lib/scenario/index.ts";

export default defineScenario({
  id: "checklist:user",
  description: "-u: a process runs as the uid-1000 user (ctr: exec --user, as ctr run has no -u)",
  steps: [
    {
      name: "id inside the container as user 1000",
      async run(ctx) {
        const name = await startSleeper(ctx, "user");
        const r = await ctx.client.exec(name, {
          cmd: ["sh", "-c", "echo $(id -u):$(id -un)"],
          user: "1000",
          execId: "id",
        });
        assertEqual(r.stdout.trim(), "1000:user", "uid:name");
      },
    },
  ],
});
