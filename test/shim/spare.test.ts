// The runtime option `spare` (shim/spare.ts) through real containerds (1.6 and 2.x), runc in
// real VMs: a container started once a spare is ready runs in the spare's warm VM (its shim is the
// spare's process, its VMM is moved into the container's host cgroup, its log reaches containerd,
// a later container of its group joins it); a new spare follows; a container whose shape differs
// boots its own VM; spares end with containerd and leave nothing behind.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  RUNM_RUNTIME_NAME,
  SANDBOX_ANNOTATION,
  SHIM_BUNDLE_FILES,
  SHIM_SOCKET_DIR,
} from "../../lib/constants.ts";
import { containerdFromDebian } from "../../lib/containerd/debian-containerd.ts";
import { listSpares, spareKey } from "../../shim/spare.ts";
import { type Harness, startHarness, vmmsUnder } from "./harness.ts";

const T = 300_000;

async function until<V>(what: string, fn: () => V | undefined, timeoutMs = 90_000): Promise<V> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = fn();
    if (v !== undefined) return v;
    await Bun.sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

const cmdline = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
  } catch {
    return [];
  }
};

for (const [name, binaries] of [
  ["containerd 1.6 (Debian 12)", async () => ({})],
  [
    "containerd 2.x (Debian sid)",
    async () => {
      const c = await containerdFromDebian("sid");
      return { containerd: c.containerd, ctr: c.ctr };
    },
  ],
] as const)
  describe(`spare shims with ${name}`, () => {
    let h: Harness;
    let scratch: string;
    let opts: string;
    const readySpare = () =>
      until(
        "a ready spare",
        () => listSpares(SHIM_SOCKET_DIR, h.ctd.address, "default").find((s) => s.kind === "sock")?.pid,
      );
    const spareProcesses = () =>
      readdirSync("/proc")
        .filter((d) => /^\d+$/.test(d))
        .map(Number)
        .filter((pid) => {
          const c = cmdline(pid);
          return c.includes("-spare") && c.includes(h.ctd.address);
        });

    beforeAll(async () => {
      h = await startHarness(await binaries());
      scratch = mkdtempSync(join(tmpdir(), "runm-spare-"));
      opts = join(scratch, "spare.toml");
      writeFileSync(opts, "[shim]\nspare = true\n");
    }, T);

    afterAll(async () => {
      await h?.stop();
      rmSync(scratch, { recursive: true, force: true });
    }, T);

    test(
      "claimed, joined (and joined by its group), replaced, refused when the shape differs, gone with containerd",
      async () => {
        const rt = ["--runtime-config-path", opts];
        // No spare yet: the first container boots as always, and asks for one.
        expect(await h.run("spare-1", ["echo", "one"], ["--rm", ...rt])).toEqual({
          code: 0,
          stdout: "one\n",
          stderr: "",
        });
        const first = await readySpare();

        // The next container takes it: its shim is the spare's process, its VM the spare's.
        const run = h.spawnCtr([
          "run",
          "--rm",
          "--runtime",
          RUNM_RUNTIME_NAME,
          ...rt,
          h.image,
          "spare-2",
          "sh",
          "-c",
          "echo two; exec sleep 600",
        ]);
        await until("spare-2 running", () => (run.output().includes("two") ? true : undefined));
        const bundle = join(h.ctd.state, "io.containerd.runtime.v2.task", "default", "spare-2");
        expect(Number(readFileSync(join(bundle, SHIM_BUNDLE_FILES.pid), "utf8"))).toBe(first);
        const vmm = vmmsUnder(h.ctd.dir).filter((c) => c.includes(`default-spare-${first}`));
        expect(vmm).toHaveLength(1);
        // Its VMM was moved into the container's host cgroup (ctr's /default/ID), as a VM booted for it is born there.
        const qemu = readdirSync("/proc")
          .filter((d) => /^\d+$/.test(d))
          .map(Number)
          .find(
            (pid) =>
              /qemu-system/.test(cmdline(pid)[0] ?? "") &&
              cmdline(pid).join(" ").includes(`default-spare-${first}`),
          );
        expect(qemu).toBeDefined();
        expect(readFileSync(`/proc/${qemu}/cgroup`, "utf8")).toContain("/default/spare-2");
        // The claimed shim is its group's: a later container of the same sandbox joins that VM (a
        // VM of its own would be named default-spare-2; spares are default-spare-PID).
        const seen = new Set<string>();
        const sampling = setInterval(() => {
          for (const c of vmmsUnder(h.ctd.dir)) seen.add(c);
        }, 50);
        const joined = await h
          .run("spare-2b", ["echo", "joined"], ["--rm", "--annotation", `${SANDBOX_ANNOTATION}=spare-2`])
          .finally(() => clearInterval(sampling));
        expect(joined).toEqual({ code: 0, stdout: "joined\n", stderr: "" });
        expect([...seen].filter((c) => /default-spare-2(?![0-9])/.test(c))).toEqual([]);
        expect([...seen].some((c) => c.includes(`default-spare-${first}`))).toBe(true);
        expect(await h.ctr(["task", "kill", "-s", "SIGKILL", "spare-2"])).toMatchObject({ code: 0 });
        expect((await run.done).code).toBe(137);
        // The claimed shim logs into the container's log FIFO, which containerd copies into its own.
        expect(readFileSync(h.ctd.log, "utf8")).toContain(
          `spare-2 runs in the spare's warm VM default-spare-${first}`,
        );
        await until(
          "the claimed spare's VM gone",
          () => (vmmsUnder(h.ctd.dir).some((c) => c.includes(`default-spare-${first}`)) ? undefined : true),
          30_000,
        );

        // A new spare followed; a container of another size does not fit it and boots its own.
        const second = await readySpare();
        expect(second).not.toBe(first);
        const sized = await h.run(
          "spare-3",
          ["nproc"],
          ["--rm", ...rt, "--annotation", "io.containerd.runm.cpus=2"],
        );
        expect(sized).toEqual({ code: 0, stdout: "2\n", stderr: "" });
        expect(readFileSync(h.ctd.log, "utf8")).toContain(
          "spare-3 does not fit the spare's VM (its cpus is 2, the spare's 1)",
        );

        // containerd goes: so does every spare, with its VM and its files.
        await readySpare();
        expect(spareProcesses().length).toBeGreaterThan(0);
        process.kill(h.ctd.pid, "SIGTERM");
        await h.ctd.exited;
        await until("no spare left", () => (spareProcesses().length === 0 ? true : undefined), 30_000);
        await until("no VM left", () => (vmmsUnder(h.ctd.dir).length === 0 ? true : undefined), 30_000);
        const key = spareKey(h.ctd.address, "default");
        expect(readdirSync(SHIM_SOCKET_DIR).filter((n) => n.startsWith(`spare-${key}-`))).toEqual([]);
        expect(h.leftovers(["spare-1", "spare-2", "spare-2b", "spare-3"])).toEqual([]);
      },
      T,
    );
  });
