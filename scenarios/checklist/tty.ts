import { assertMatch, defineScenario, inPty } from "../../lib/scenario/index.ts";

export default defineScenario({
  id: "checklist:tty",
  description: "run -t gives the container a terminal of the host terminal's size",
  steps: [
    {
      name: "tty and stty size inside the container",
      async run(ctx) {
        const argv = ctx.client.runArgv({
          image: await ctx.image("busybox"),
          name: ctx.name("tty"),
          rm: true,
          tty: true,
          // ctr sends the terminal's size only after Start (ResizePty); a VM round trip behind runc,
          // so give it a moment before reading it (docs/SHIM.md, "terminal size").
          cmd: ["sh", "-c", 'sleep 1; echo "tty=$(tty) size=$(stty size)"'],
        });
        const r = await ctx.sh(inPty(argv, { rows: 33, cols: 101 }), { timeoutMs: 120_000, holdStdin: true });
        assertMatch(r.stdout, /tty=\/dev\/(pts\/\d+|console) size=33 101/, "the container's terminal");
      },
    },
  ],
});
