// The original runm's 2025-07-26 scenario: as 2025-07-05:01's detached container, then two tty
// execs a second apart, each printing the guest's operating system (`uname -o`), then a
// force-remove that leaves nothing.
import { assertEqual, defineScenario, inPty, waitFor } from "../lib/scenario/index.ts";

let name = "";

export default defineScenario({
  id: "2025-07-26:01",
  description: "detached container, two tty execs of uname -o a second apart, force-remove",
  steps: [
    {
      name: "run a container detached",
      async run(ctx) {
        name = ctx.name("uname");
        await ctx.client.run({
          image: await ctx.image("busybox"),
          name,
          detach: true,
          cmd: ["sh", "-c", "echo ready; sleep 300"],
        });
        await waitFor(
          async () => ((await ctx.client.logs(name)).includes("ready") ? true : undefined),
          60_000,
          "the container's first output",
        );
      },
    },
    {
      name: "two tty execs of uname -o, a second apart",
      async run(ctx) {
        const seen: string[] = [];
        for (const execId of ["uname-1", "uname-2"]) {
          const argv = ctx.client.execArgv(name, { cmd: ["uname", "-o"], tty: true, execId });
          const r = await ctx.sh(inPty(argv), { timeoutMs: 60_000, holdStdin: true });
          // Its first line: ctr may add a complaint about resizing an exec that already ended.
          seen.push(r.stdout.replaceAll("\r", "").split("\n")[0]?.trim() ?? "");
          if (execId === "uname-1") await Bun.sleep(1000);
        }
        // A Linux kernel under busybox's userland, whatever the host (macOS hosts included).
        assertEqual(seen, ["GNU/Linux", "GNU/Linux"], "uname -o from each exec");
      },
    },
    {
      name: "force-remove it; nothing is left",
      async run(ctx) {
        await ctx.client.removeForce(name);
        assertEqual((await ctx.client.containers()).includes(name), false, `${name} is gone`);
      },
    },
  ],
});
