// The original runm's 2025-07-31 scenario, which it could not run ("a K8s pod would require grouping
// multiple containers into one VM"): nginx detached, then a second container that shares its PID
// namespace lists nginx's master and worker processes. Under runm both are one pod: the second
// names the first as its sandbox and so runs in the same VM (docs/SHIM.md "Pods"), where it joins
// nginx's PID namespace; under runc the same two flags mean one host PID namespace.
import { assertIncludes, defineScenario, waitFor } from "../lib/scenario/index.ts";

let nginx = "";

export default defineScenario({
  id: "2025-07-31:01",
  description:
    "nginx detached; a second container in its pod shares its PID namespace and lists nginx's processes",
  steps: [
    {
      name: "run nginx detached (the pod's first container)",
      async run(ctx) {
        nginx = ctx.name("nginx");
        await ctx.client.run({ image: await ctx.image("nginx"), name: nginx, detach: true, sandbox: nginx });
      },
    },
    {
      name: "a busybox in nginx's pod and PID namespace lists nginx's master and workers",
      async run(ctx) {
        const task = await waitFor(
          async () => (await ctx.client.tasks()).find((t) => t.name === nginx && t.status === "RUNNING"),
          120_000,
          `${nginx} RUNNING`,
        );
        const ps = ctx.name("ps");
        // nginx forks its workers after it starts: list until they are there.
        const out = await waitFor(
          async () => {
            const r = await ctx.client.run({
              image: await ctx.image("busybox"),
              name: ps,
              rm: true,
              cmd: ["ps", "-o", "pid,args"],
              sandbox: nginx,
              sharePidWith: { name: nginx, pid: task.pid ?? 0 },
            });
            return /nginx: worker process/.test(r.stdout) ? r.stdout : undefined;
          },
          120_000,
          "nginx's worker in the listing",
          1000,
        );
        assertIncludes(out, "nginx: master process", "nginx's master");
        assertIncludes(out, "nginx: worker process", "a worker");
        assertIncludes(out, "ps -o pid,args", "the listing's own process, in the same namespace");
      },
    },
    {
      name: "force-remove nginx",
      async run(ctx) {
        await ctx.client.removeForce(nginx);
      },
    },
  ],
});
