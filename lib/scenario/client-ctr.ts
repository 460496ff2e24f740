// ctr (containerd's own CLI, always installed with containerd). It has no named volumes (mapped
// to host dirs under the state dir), no -p (the runm publish annotation instead) and no run -u
// (exec --user works).
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { HOST_LOOPBACK_ANNOTATION, PUBLISH_ANNOTATION, SANDBOX_ANNOTATION } from "../constants.ts";
import type { ContainerClient, ExecSpec, Mount, RunSpec, Sh, TaskInfo } from "./client.ts";

export interface CtrOptions {
  address: string;
  namespace: string;
  runtime: string;
  /** Where named volumes live as host dirs. */
  volumeRoot: string;
  /** containerd snapshotter for rootfs (unset: containerd's default, overlayfs). */
  snapshotter?: string;
  /** Where detached containers' output goes (ctr --log-uri file://...). */
  logRoot: string;
  bin?: string;
}

export class CtrClient implements ContainerClient {
  readonly kind = "ctr" as const;
  constructor(
    private readonly o: CtrOptions,
    private readonly sh: Sh,
  ) {}

  private base(): string[] {
    return [this.o.bin ?? "ctr", "--address", this.o.address, "--namespace", this.o.namespace];
  }

  private snap(): string[] {
    return this.o.snapshotter ? ["--snapshotter", this.o.snapshotter] : [];
  }

  private mountArg(m: Mount): string {
    let src = m.source;
    if (m.type === "volume") {
      src = join(this.o.volumeRoot, m.source);
      mkdirSync(src, { recursive: true });
    }
    return `type=bind,src=${src},dst=${m.target},options=rbind:${m.readonly ? "ro" : "rw"}`;
  }

  runArgv(s: RunSpec): string[] {
    const a = [...this.base(), "run", "--runtime", this.o.runtime, ...this.snap()];
    if (s.detach) {
      mkdirSync(this.o.logRoot, { recursive: true });
      a.push("--detach", "--log-uri", `file://${this.logFile(s.name)}`);
    }
    if (s.rm) a.push("--rm");
    if (s.tty) a.push("--tty");
    for (const e of s.env ?? []) a.push("--env", e);
    if (s.cwd) a.push("--cwd", s.cwd);
    for (const m of s.mounts ?? []) a.push("--mount", this.mountArg(m));
    if (s.publish?.length)
      a.push(
        "--annotation",
        `${PUBLISH_ANNOTATION}=${s.publish.map((p) => `127.0.0.1:${p.host}:${p.container}/tcp`).join(",")}`,
      );
    if (s.hostLoopback?.length)
      a.push("--annotation", `${HOST_LOOPBACK_ANNOTATION}=${s.hostLoopback.join(",")}`);
    if (s.sandbox) a.push("--annotation", `${SANDBOX_ANNOTATION}=${s.sandbox}`);
    if (s.sharePidWith) a.push("--with-ns", `pid:/proc/${s.sharePidWith.pid}/ns/pid`);
    a.push(s.image, s.name, ...(s.cmd ?? []));
    return a;
  }

  execArgv(name: string, s: ExecSpec): string[] {
    const a = [...this.base(), "tasks", "exec", "--exec-id", s.execId ?? `exec-${Date.now()}`];
    if (s.tty) a.push("--tty");
    if (s.user) a.push("--user", s.user);
    if (s.cwd) a.push("--cwd", s.cwd);
    if (s.env?.length) throw new Error("ctr tasks exec has no --env; put the variables in the command");
    a.push(name, ...s.cmd);
    return a;
  }

  run(spec: RunSpec, opts?: Parameters<Sh>[1]) {
    return this.sh(this.runArgv(spec), opts);
  }

  exec(name: string, spec: ExecSpec, opts?: Parameters<Sh>[1]) {
    return this.sh(this.execArgv(name, spec), opts);
  }

  async tasks(): Promise<TaskInfo[]> {
    const r = await this.sh([...this.base(), "tasks", "ls"], { quiet: true });
    return r.stdout
      .split("\n")
      .slice(1)
      .map((l) => l.trim().split(/\s+/))
      .filter((f) => f.length >= 3)
      .map((f) => ({ name: f[0] as string, status: f[2] as string, pid: Number(f[1]) }));
  }

  async containers(): Promise<string[]> {
    const r = await this.sh([...this.base(), "containers", "ls", "-q"], { quiet: true });
    return r.stdout.split("\n").filter(Boolean);
  }

  async removeVolume(name: string): Promise<void> {
    rmSync(join(this.o.volumeRoot, name), { recursive: true, force: true });
  }

  private logFile(name: string): string {
    return join(this.o.logRoot, `${name}.log`);
  }

  async logs(name: string): Promise<string> {
    try {
      return readFileSync(this.logFile(name), "utf8");
    } catch {
      return "";
    }
  }

  async removeForce(name: string): Promise<void> {
    rmSync(this.logFile(name), { force: true });
    await this.sh([...this.base(), "tasks", "delete", "--force", name], { allowFail: true, quiet: true });
    await this.sh([...this.base(), "containers", "delete", name], { allowFail: true, quiet: true });
  }

  async hasImage(ref: string): Promise<boolean> {
    const r = await this.sh([...this.base(), "images", "ls", "-q"], { quiet: true });
    return r.stdout.split("\n").includes(ref);
  }

  async load(archive: string): Promise<void> {
    await this.sh([...this.base(), "images", "import", ...this.snap(), archive], { timeoutMs: 600_000 });
  }
}
