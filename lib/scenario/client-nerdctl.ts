// nerdctl, when it is on PATH (not packaged in Debian 12): docker-style flags map one to one.
import { HOST_LOOPBACK_ANNOTATION, SANDBOX_ANNOTATION } from "../constants.ts";
import type { ContainerClient, ExecSpec, Mount, RunSpec, Sh, TaskInfo } from "./client.ts";

export interface NerdctlOptions {
  address: string;
  namespace: string;
  runtime: string;
  bin: string;
  snapshotter?: string;
}

export class NerdctlClient implements ContainerClient {
  readonly kind = "nerdctl" as const;
  constructor(
    private readonly o: NerdctlOptions,
    private readonly sh: Sh,
  ) {}

  private base(): string[] {
    const snap = this.o.snapshotter ? ["--snapshotter", this.o.snapshotter] : [];
    return [this.o.bin, "--address", this.o.address, "--namespace", this.o.namespace, ...snap];
  }

  private mountArg(m: Mount): string {
    return `${m.source}:${m.target}${m.readonly ? ":ro" : ""}`;
  }

  runArgv(s: RunSpec): string[] {
    const a = [...this.base(), "run", "--runtime", this.o.runtime, "--name", s.name];
    if (s.detach) a.push("--detach");
    if (s.rm) a.push("--rm");
    if (s.tty) a.push("--tty", "--interactive");
    for (const e of s.env ?? []) a.push("--env", e);
    if (s.cwd) a.push("--workdir", s.cwd);
    for (const m of s.mounts ?? []) a.push("--volume", this.mountArg(m));
    for (const p of s.publish ?? []) a.push("--publish", `127.0.0.1:${p.host}:${p.container}`);
    if (s.hostLoopback?.length)
      a.push("--annotation", `${HOST_LOOPBACK_ANNOTATION}=${s.hostLoopback.join(",")}`);
    if (s.sandbox) a.push("--annotation", `${SANDBOX_ANNOTATION}=${s.sandbox}`);
    if (s.sharePidWith) a.push("--pid", `container:${s.sharePidWith.name}`);
    a.push(s.image, ...(s.cmd ?? []));
    return a;
  }

  execArgv(name: string, s: ExecSpec): string[] {
    const a = [...this.base(), "exec"];
    if (s.tty) a.push("--tty", "--interactive");
    if (s.user) a.push("--user", s.user);
    if (s.cwd) a.push("--workdir", s.cwd);
    for (const e of s.env ?? []) a.push("--env", e);
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
    const r = await this.sh([...this.base(), "ps", "--all", "--format", "{{.Names}}\t{{.Status}}"], {
      quiet: true,
    });
    return r.stdout
      .split("\n")
      .filter(Boolean)
      .map((l) => {
        const [name = "", status = ""] = l.split("\t");
        return { name, status: /^Up/.test(status) ? "RUNNING" : "STOPPED" };
      });
  }

  async containers(): Promise<string[]> {
    const r = await this.sh([...this.base(), "ps", "--all", "--format", "{{.Names}}"], { quiet: true });
    return r.stdout.split("\n").filter(Boolean);
  }

  async removeForce(name: string): Promise<void> {
    await this.sh([...this.base(), "rm", "--force", name], { allowFail: true, quiet: true });
  }

  async removeVolume(name: string): Promise<void> {
    await this.sh([...this.base(), "volume", "rm", "--force", name], { allowFail: true, quiet: true });
  }

  async logs(name: string): Promise<string> {
    const r = await this.sh([...this.base(), "logs", name], { quiet: true, allowFail: true });
    return r.stdout + r.stderr;
  }

  async hasImage(ref: string): Promise<boolean> {
    const r = await this.sh([...this.base(), "image", "inspect", ref], { allowFail: true, quiet: true });
    return r.code === 0;
  }

  async load(archive: string): Promise<void> {
    await this.sh([...this.base(), "load", "--input", archive], { timeoutMs: 600_000 });
  }
}
