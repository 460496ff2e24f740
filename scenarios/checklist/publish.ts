import { RUNM_RUNTIME_NAME } from "../../lib/constants.ts";
import { assertEqual, defineScenario, freePort, getLoopback, waitFor } from "../../lib/scenario/index.ts";

export default defineScenario({
  id: "checklist:publish",
  description: "a port published on 127.0.0.1 reaches a server in the container",
  // With ctr, publishing is runm's annotation (the VM's hostfwd); runc has no such thing.
  runtimes: [RUNM_RUNTIME_NAME],
  steps: [
    {
      name: "GET 127.0.0.1:<port> answers from busybox httpd",
      async run(ctx) {
        const port = await freePort();
        const name = ctx.name("web");
        await ctx.client.run({
          image: await ctx.image("busybox"),
          name,
          detach: true,
          publish: [{ host: port, container: 8080 }],
          cmd: [
            "sh",
            "-c",
            "mkdir -p /www && echo published-ok > /www/index.html && exec httpd -f -p 8080 -h /www",
          ],
        });
        const body = await waitFor(() => getLoopback(port), 90_000, `an answer on 127.0.0.1:${port}`, 500);
        assertEqual(body.trim(), "published-ok", "body served through the published port");
      },
    },
  ],
});
