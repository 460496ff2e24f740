import { assertEqual, defineScenario, waitFor } from "../../lib/scenario/index.ts";

export default defineScenario({
  id: "checklist:user",
  description: "-u: a process runs as the uid-1000 user (ctr: exec --user, as ctr run has no -u)",
  steps: [
    {
      name: "id inside the container as user 1000",
      async run(ctx) {
        const name = ctx.name("user");
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
