import { assertIncludes, defineScenario } from "../../lib/scenario/index.ts";

export default defineScenario({
  id: "checklist:env",
  description: "environment variables given to run reach the container",
  steps: [
    {
      name: "GREETING and PATH are set",
      async run(ctx) {
        const r = await ctx.client.run(
          {
            image: await ctx.image("busybox"),
            name: ctx.name("env"),
            rm: true,
            env: ["GREETING=hello env", "EMPTY="],
            // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not JS
            cmd: ["sh", "-c", 'echo "greeting=[$GREETING] empty=[${EMPTY-unset}] path=$PATH"'],
          },
          { timeoutMs: 120_000 },
        );
        assertIncludes(r.stdout, "greeting=[hello env] empty=[] path=/usr/local/sbin:", "container env");
      },
    },
  ],
});
