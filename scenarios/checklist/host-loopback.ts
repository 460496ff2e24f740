import { RUNM_RUNTIME_NAME } from "../../lib/constants.ts";
import { assertEqual, defineScenario } from "../../lib/scenario/index.ts";

/** QEMU user networking's gateway: the guest's way to the host's 127.0.0.1. */
const HOST_FROM_GUEST = "10.0.2.2";

export default defineScenario({
  id: "checklist:host-loopback",
  description: "the container reaches a service on the host's loopback (the offline stand-in for internet)",
  runtimes: [RUNM_RUNTIME_NAME],
  steps: [
    {
      name: `wget http://${HOST_FROM_GUEST}:<port>/ from the container`,
      async run(ctx) {
        const server = Bun.serve({
          hostname: "127.0.0.1",
          port: 0,
          fetch: () => new Response("host-says-hi\n"),
        });
        ctx.defer(() => server.stop(true), { always: true });
        const r = await ctx.client.run(
          {
            image: await ctx.image("busybox"),
            name: ctx.name("net"),
            rm: true,
            cmd: ["wget", "-q", "-T", "10", "-O", "-", `http://${HOST_FROM_GUEST}:${server.port}/`],
          },
          { timeoutMs: 120_000 },
        );
        assertEqual(r.stdout.trim(), "host-says-hi", "body fetched from the host");
      },
    },
  ],
});
