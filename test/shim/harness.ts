// End-to-end harness: a private containerd (Debian's 1.6 unless told otherwise) with the compiled
// containerd-shim-runm-v2 on its PATH, the busybox test image imported, ctr helpers that report
// exit codes, and a leak check (no shim, QEMU, virtiofsd, socket or runtime dir left behind).
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { RUNM_RUNTIME_NAME, SHIM_SOCKET_DIR } from "../../lib/constants.ts";
import { type PrivateContainerd, startPrivateContainerd } from "../../lib/containerd/private.ts";
import { installShim } from "../../lib/containerd/shim-binary.ts";
import { buildImage } from "../../lib/image/build.ts";
import { mountPointsUnder } from "../../lib/sys/mounts.ts";
import { socketPath } from "../../shim/bootstrap.ts";

/** containerd's default snapshotter: the rootfs arrives as an overlay of host layer dirs. */
export const SNAPSHOTTER = "overlayfs";

export interface Harness {
  ctd: PrivateContainerd;
  image: string;
  stateDir: string;
  /** ctr with this daemon's address; never throws, returns what happened. */
  /** `container`: the one the call is about (named in the diagnostics if it times out). */
  ctr(args: string[], o?: { input?: string; timeoutMs?: number; container?: string }): Promise<CtrResult>;
  /** Start ctr in the background (for `ctr run` that must be killed or attached later). */
  spawnCtr(args: string[], o?: { tty?: boolean }): CtrProcess;
  /** `ctr run --runtime io.containerd.runm.v2 [flags] IMAGE ID args...` */
  run(
    id: string,
    args: string[],
    flags?: string[],
    o?: { input?: string; tty?: boolean },
  ): Promise<CtrResult>;
  /** Everything runm left behind for these container ids (empty = clean). */
  leftovers(ids: string[]): string[];
  stop(): Promise<void>;
}

export interface CtrResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CtrProcess {
  pid: number;
  output(): string;
  done: Promise<CtrResult>;
  write(s: string | Uint8Array): void;
  /** Close ctr's stdin (its end of file reaches the container through CloseIO). */
  end(): void;
  kill(sig?: NodeJS.Signals): void;
}

/**
 * ctr 2.2+ warns on every call on a cgroup v1 host (this one), on its own stderr: not the
 * container's output, which the tests compare exactly.
 */
const CTR_CGROUP_V1_WARNING =
  /^time="[^"]*" level=warning msg="DEPRECATION: The support for cgroup v1 is deprecated[^\n]*\n/gm;

export async function startHarness(o: { containerd?: string; ctr?: string } = {}): Promise<Harness> {
  const ctd = await startPrivateContainerd({
    binary: o.containerd,
    logLevel: "debug",
    // Every shim inherits this: VM runtime dirs stay under the private daemon's temp dir.
    env: (l) => ({ RUNM_STATE_DIR: join(l.dir, "runm-state") }),
  });
  const stateDir = join(ctd.dir, "runm-state");
  mkdirSync(stateDir, { recursive: true });
  const base = ["--address", ctd.address];
  const env = { ...process.env, CONTAINERD_SNAPSHOTTER: SNAPSHOTTER };

  const spawnCtr = (args: string[], so: { tty?: boolean } = {}): CtrProcess => {
    const argv = [o.ctr ?? "ctr", ...base, ...args];
    // ctr -t wants a real terminal: give it one with script(1).
    const cmd = so.tty ? ["script", "-qfec", argv.map(shq).join(" "), "/dev/null"] : argv;
    const p = Bun.spawn(cmd, { stdin: "pipe", stdout: "pipe", stderr: "pipe", env });
    let out = "";
    let err = "";
    const read = async (s: ReadableStream<Uint8Array>, add: (t: string) => void) => {
      for await (const c of s) add(new TextDecoder().decode(c));
    };
    const r1 = read(p.stdout, (t) => {
      out += t;
    });
    const r2 = read(p.stderr, (t) => {
      err += t;
    });
    const done = (async () => {
      const code = await p.exited;
      await Promise.all([r1, r2]);
      return { code, stdout: out, stderr: err.replace(CTR_CGROUP_V1_WARNING, "") };
    })();
    return {
      pid: p.pid,
      output: () => out,
      done,
      write: (s) => {
        p.stdin.write(s);
        p.stdin.flush();
      },
      end: () => void p.stdin.end(),
      kill: (sig = "SIGKILL") => p.kill(sig),
    };
  };

  const ctr: Harness["ctr"] = async (args, co = {}) => {
    const p = spawnCtr(args);
    if (co.input !== undefined) p.write(co.input);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      // What was stuck, before the kill lets it move on: CI keeps only this output.
      console.error(diagnose(ctd, args, co.container ?? args.at(-1) ?? ""));
      p.kill();
    }, co.timeoutMs ?? 120_000);
    const r = await p.done;
    clearTimeout(timer);
    return timedOut ? { ...r, stderr: `${r.stderr}ctr timed out\n` } : r;
  };

  const img = await buildImage("busybox");
  const imp = await ctr(["images", "import", "--snapshotter", SNAPSHOTTER, img.path]);
  if (imp.code !== 0) throw new Error(`image import failed: ${imp.stderr}`);
  await installShim(ctd.bin);

  return {
    ctd,
    image: img.ref,
    stateDir,
    ctr,
    spawnCtr,
    run: async (id, args, flags = [], ro = {}) => {
      const full = ["run", "--runtime", RUNM_RUNTIME_NAME, ...flags, img.ref, id, ...args];
      if (!ro.tty) return ctr(full, { input: ro.input, container: id });
      const p = spawnCtr(full, { tty: true });
      if (ro.input !== undefined) p.write(ro.input);
      return p.done;
    },
    leftovers: (ids) => leftovers(ctd, ids),
    stop: async () => {
      // Shims outlive containerd by design: end this daemon's by PID (SIGTERM tears the VM down).
      const shims = shimPids(ctd);
      for (const pid of shims) process.kill(pid, "SIGTERM");
      for (let i = 0; i < 100 && shimPids(ctd).length > 0; i++) await Bun.sleep(50);
      for (const pid of shimPids(ctd)) process.kill(pid, "SIGKILL");
      await ctd.stop();
    },
  };
}

/** The command lines of the QEMU processes started under `dir` (a private containerd's): one per VM. */
export function vmmsUnder(dir: string): string[] {
  return readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .map((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
      } catch {
        return "";
      }
    })
    .filter((cmd) => cmd.includes(dir) && /^\S*qemu-system/.test(cmd));
}

function shimPids(ctd: PrivateContainerd): number[] {
  return readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .filter((pid) => {
      try {
        const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8");
        return cmd.includes("containerd-shim-runm-v2") && cmd.includes(ctd.address);
      } catch {
        return false;
      }
    });
}

/** A stuck ctr's context: containerd's log lines for the container and its VM's console tail. */
function diagnose(ctd: PrivateContainerd, args: string[], id: string): string {
  const tail = (path: string, n: number, keep: (l: string) => boolean = () => true) => {
    try {
      return readFileSync(path, "utf8").split("\n").filter(keep).slice(-n);
    } catch {
      return [`(no ${path})`];
    }
  };
  return [
    `=== ctr ${args.join(" ")} timed out; leftovers: ${leftovers(ctd, [id]).join("; ") || "none"}`,
    `--- containerd log for ${id}:`,
    ...tail(ctd.log, 60, (l) => l.includes(id)),
    `--- console of VM default-${id}:`,
    ...tail(join(ctd.dir, "runm-state", "vms", `default-${id}`, "console.log"), 40),
    "===",
  ].join("\n");
}

const shq = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

function leftovers(ctd: PrivateContainerd, ids: string[]): string[] {
  const found: string[] = [];
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    let cmd = "";
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
    } catch {
      continue;
    }
    const ours = cmd.includes(ctd.dir) || ids.some((id) => cmd.includes(`default-${id}`));
    if (ours && /containerd-shim-runm-v2|qemu-system|virtiofsd/.test(cmd))
      found.push(`process ${pid}: ${cmd.slice(0, 160)}`);
  }
  for (const id of ids) {
    const sock = socketPath(ctd.address, "default", id, SHIM_SOCKET_DIR);
    if (existsSync(sock)) found.push(`socket ${sock}`);
    const bundle = join(ctd.state, "io.containerd.runtime.v2.task", "default", id);
    if (existsSync(bundle)) found.push(`bundle ${bundle}`);
  }
  for (const id of ids) {
    const vm = join(ctd.dir, "runm-state", "vms", `default-${id}`);
    if (existsSync(vm)) found.push(`vm runtime dir ${vm}`);
  }
  // A VM's hot-share mounts (a pod's later containers) live under its runtime dir.
  for (const m of mountPointsUnder(join(ctd.dir, "runm-state"))) found.push(`mount ${m}`);
  return found;
}
