// The original runm's first scenario: `bun --version` in a container. The image is Debian with the
// Bun runtime this host runs (runm image build bun), so the container must print the host's
// Bun version exactly.
import { assertEqual, defineScenario } from "../lib/scenario/index.ts";

export default defineScenario({
  id: "2025-06-18:01",
  description: "bun --version in a bun image (Debian + the host's Bun), the exact version back",
  steps: [
    {
      name: "run bun --version",
      async run(ctx) {
        const r = await ctx.client.run(
          {
            image: await ctx.image("bun"),
            name: ctx.name("bun-version"),
            rm: true,
            cmd: ["bun", "--version"],
          },
          { timeoutMs: 120_000 },
        );
        assertEqual(r.stdout.trim(), Bun.version, "the container's Bun version");
        assertEqual(r.code, 0, "exit code");
      },
    },
  ],
});
