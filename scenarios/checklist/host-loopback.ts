import { GUEST_HOST_LOOPBACK, RUNM_RUNTIME_NAME } from "../../lib/constants.ts";
import { assertEqual, defineScenario } from "../../lib/scenario/index.ts";

/** The guest's address for the host's 127.0.0.1 (one slirp guestfwd rule per allowed port). */
const HOST_FROM_GUEST = GUEST_HOST_LOOPBACK;

export default defineScenario({
  id: "checklist:host-loopback",
  description: "the container reaches a service on the host's loopback (the offline stand-in for internet)",
  runtimes: [RUNM_RUNTIME_NAME],
  steps: [
    {
      name: `GET http://${HOST_FROM_GUEST}:<port>/ from the container`,
      async run(ctx) {
        const server = Bun.serve({
          hostname: "127.0.0.1",
          port: 0,
          // Connection: close, so nc sees the end of the reply and exits.
          fetch: () => new Response("host-says-hi\n", { headers: { Connection: "close" } }),
        });
        ctx.defer(() => server.stop(true), { always: true });
        const r = await ctx.client.run(
          {
            image: await ctx.image("busybox"),
            name: ctx.name("net"),
            rm: true,
            // restrict=on networking: the VM reaches exactly the host ports it is given.
            hostLoopback: [Number(server.port)],
            // nc, not wget: Debian's static busybox wget segfaults (exit 139) in its address lookup.
            cmd: [
              "sh",
              "-c",
              `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 10 ${HOST_FROM_GUEST} ${server.port}`,
            ],
          },
          { timeoutMs: 120_000 },
        );
        assertEqual(r.stdout.trim().split("\n").at(-1), "host-says-hi", "body fetched from the host");
      },
    },
  ],
});
