import { assertEqual, assertIncludes, defineScenario, inPty } from "../../lib/scenario/index.ts";

export default defineScenario({
  id: "checklist:interactive",
  description: "-it: a shell on a terminal reads commands from the keyboard and returns its status",
  steps: [
    {
      name: "type two commands into sh on a tty",
      async run(ctx) {
        const argv = ctx.client.runArgv({
          image: await ctx.image("busybox"),
          name: ctx.name("it"),
          rm: true,
          tty: true,
          cmd: ["sh"],
        });
        const r = await ctx.sh(inPty(argv), {
          input: "echo answer=$((6*7))\nexit 7\n",
          holdStdin: true,
          allowFail: true,
          timeoutMs: 120_000,
        });
        assertIncludes(r.stdout.replaceAll("\r", ""), "answer=42\n", "the shell ran the typed command");
        assertEqual(r.code, 7, "exit status of the interactive shell");
      },
    },
  ],
});
