// `runm vm run -t` through a real pty: tmux runs runm in a detached 80x24 session, the container
// reports `tty` and `stty size`, the tmux window is resized, and the container sees the new size.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { RUNM, vmTestSuite } from "./testdata/vm-env.ts";

// VM boots under TCG on a shared 2-core host take 10-30 s each (bunfig's timeout is not applied).
setDefaultTimeout(240_000);
const { env, work, rootfs } = vmTestSuite("vmtty");
const out = join(work, "out");
const tmuxSocket = `runm-tty-test-${process.pid}`;
const tmux = (...args: string[]) => Bun.spawnSync(["tmux", "-L", tmuxSocket, "-f", "/dev/null", ...args]);

beforeAll(() => mkdirSync(out));
afterAll(() => tmux("kill-server")); // our private tmux server, by its socket

/** A shell word holding `s` exactly. */
const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * `runm vm run -t ARGS` under util-linux `script` (a real pty, no tmux), then `after` in the same
 * shell: its exit status and everything the pty showed.
 */
async function underScript(runArgs: string[], after = ""): Promise<{ code: number; text: string }> {
  const runmCmd = [...RUNM, "vm", "run", "-t", "--rootfs", rootfs, ...runArgs];
  const inner = `RUNM_STATE_DIR=${q(env.stateDir)} ${runmCmd.map(q).join(" ")}${after}`;
  const p = Bun.spawn(["script", "-qfec", inner, "/dev/null"], { stdin: "ignore", stdout: "pipe" });
  const text = await new Response(p.stdout).text();
  return { code: await p.exited, text };
}

async function waitFile(path: string, ms: number): Promise<string> {
  const until = Date.now() + ms;
  while (!existsSync(path) || readFileSync(path, "utf8") === "") {
    if (Date.now() > until) throw new Error(`${path} did not appear within ${ms} ms`);
    await Bun.sleep(50);
  }
  await Bun.sleep(50);
  return readFileSync(path, "utf8");
}

test("-t gives a tty whose size follows the host terminal's resize", async () => {
  const script =
    "tty > /out/tty; stty size > /out/s1; while [ ! -e /out/go ]; do sleep 0.1; done; stty size > /out/s2";
  const runmCmd = [
    ...RUNM,
    "vm",
    "run",
    "-t",
    "--rootfs",
    rootfs,
    "-v",
    `${out}:/out`,
    "--",
    "sh",
    "-c",
    script,
  ];
  // A script file, so that no tmux process carries the state dir in its argv (the leak check
  // looks for it).
  const wrapper = join(work, "run.sh");
  const shell = `RUNM_STATE_DIR=${q(env.stateDir)} ${runmCmd.map(q).join(" ")}; echo $? > ${q(join(out, "code"))}`;
  writeFileSync(wrapper, `${shell}\n`);
  const started = tmux("new-session", "-d", "-s", "t", "-x", "80", "-y", "24", `sh ${wrapper}`);
  expect(started.exitCode).toBe(0);
  expect((await waitFile(join(out, "tty"), 60_000)).trim()).toMatch(/^\/dev\/pts\/\d+$/);
  expect((await waitFile(join(out, "s1"), 5_000)).trim()).toBe("24 80");
  expect(tmux("resize-window", "-t", "t", "-x", "100", "-y", "30").exitCode).toBe(0);
  await Bun.sleep(1000);
  writeFileSync(join(out, "go"), "");
  expect((await waitFile(join(out, "s2"), 10_000)).trim()).toBe("30 100");
  expect((await waitFile(join(out, "code"), 20_000)).trim()).toBe("0");
});

test("-t passes the guest's bytes through untranslated, and gives the terminal back as it was", async () => {
  const { code, text } = await underScript(["--", "printf", "a\\nb\\n"], "; stty -a");
  expect(code).toBe(0);
  // The guest's terminal turns LF into CR LF once; the host terminal must not add another CR.
  expect(text).toContain("a\r\nb\r\n");
  expect(text).not.toContain("\r\r\n");
  // After runm: output processing is back on (stty prints "opost", not "-opost").
  expect(text).toMatch(/(^|\s)opost(\s|$)/m);
});

test("-t output batches: a line written to the terminal costs no context switches of its own", async () => {
  // /init raises the guest's wakeup granularity (initramfs/init says why): before, every line
  // `seq` wrote woke the pty's flush worker, which preempted seq and then handed back, two
  // context switches a line (measured: 2.0). The guest counts them in /proc/stat's ctxt.
  const lines = 20000;
  const script = `a=$(grep ctxt /proc/stat); seq 1 ${lines}; b=$(grep ctxt /proc/stat); echo "CTXT \${a#ctxt } \${b#ctxt }"`;
  const { code, text } = await underScript(["--", "sh", "-c", script]);
  expect(code).toBe(0);
  expect(text).toContain(`\r\n${lines}\r\n`);
  const m = /CTXT (\d+) (\d+)/.exec(text);
  expect(m).not.toBeNull();
  const perLine = (Number(m?.[2]) - Number(m?.[1])) / lines;
  expect(perLine).toBeLessThan(0.5);
});
