// One process the shim forwards for (a container's init or an exec): its host stdio, the pumps
// between that stdio and the agent's streams, and the once-only exit handling that keeps
// containerd's event order (start before exit, exit before delete, output flushed before exit).
import { type AgentClient, callDeadline, type ProcessId } from "../lib/agent-client/index.ts";
import { messageOf } from "../lib/errors.ts";
import { logger } from "../lib/log.ts";
import type { HostIo, OutputSink, StdioPaths } from "./stdio.ts";

const log = logger("shim");
/** How long an exit waits for output still held open by the process's children. */
const OUTPUT_DRAIN_MS = 2000;
/**
 * After the init's exit, how long its output may sit idle (nothing arriving, nothing being written
 * to the host) without ending before the shim ends it.
 * With the init gone the guest kernel has killed the whole container, so nothing can still write;
 * an open stream then is a fault on the way, and ctr would wait for its end of file forever.
 */
const INIT_OUTPUT_IDLE_MS = 5000;

export interface Exit {
  exitStatus: number;
  exitedAt: Date;
}

function deferred<T = void>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

export class ShimProcess {
  pid = 0;
  exit?: Exit;
  private readonly started = deferred();
  private readonly exitDone = deferred<Exit>();
  private exitClaimed = false;
  private outputDone: Promise<void> = Promise.resolve();
  private outputEnded = true;
  private lastOutputAt = 0;
  /** Sink writes in progress: a slow reader (ctr piped into a slow consumer) is not a stuck stream. */
  private writing = 0;

  constructor(
    readonly ref: Required<ProcessId>,
    readonly stdio: StdioPaths,
    readonly io: HostIo,
  ) {}

  get execId(): string {
    return this.ref.execId;
  }

  /**
   * Wire the agent's stdout/stderr into the host sinks and the host stdin into the agent. They
   * outlive the request that starts them, so they run outside its deadline.
   */
  startPumps(agent: AgentClient): void {
    callDeadline.exit(() => this.pumps(agent));
  }

  private pumps(agent: AgentClient): void {
    const pumps: Promise<void>[] = [];
    const out = async (stream: "stdout" | "stderr", sink: OutputSink) => {
      try {
        for await (const chunk of agent.output(this.ref, stream)) {
          this.writing += 1;
          try {
            await sink.write(chunk);
          } finally {
            this.writing -= 1;
            this.lastOutputAt = performance.now();
          }
        }
      } catch (e) {
        log.debug(`${stream} of ${this.name}: ${messageOf(e)}`);
      }
    };
    if (this.io.stdout) pumps.push(out("stdout", this.io.stdout));
    if (this.io.stderr && !this.stdio.terminal) pumps.push(out("stderr", this.io.stderr));
    // At the end of output the host side closes too: ctr waits for EOF before it deletes.
    this.outputEnded = pumps.length === 0;
    this.lastOutputAt = performance.now();
    this.outputDone = Promise.all(pumps).then(() => {
      this.outputEnded = true;
      return this.io.closeOutput();
    });
    const stdin = this.io.stdin;
    if (stdin) {
      agent
        .writeStdin(this.ref, stdin)
        .then(() => agent.closeStdin(this.ref))
        .catch((e) => log.debug(`stdin of ${this.name}: ${messageOf(e)}`));
    }
  }

  markStarted(pid: number): void {
    this.pid = pid;
    this.started.resolve();
  }

  /**
   * Record the exit once (from Wait or the agent's exit event, whichever comes first): wait until
   * the start was published and the output drained, then run `publish` (the TaskExit event).
   */
  handleExit(e: Exit, publish: (e: Exit) => void): Promise<Exit> {
    if (!this.exitClaimed) {
      this.exitClaimed = true;
      (async () => {
        await Promise.race([this.started.promise, Bun.sleep(OUTPUT_DRAIN_MS)]);
        await Promise.race([this.outputDone, Bun.sleep(OUTPUT_DRAIN_MS)]);
        this.exit = e;
        publish(e);
        this.exitDone.resolve(e);
        if (!this.execId) await this.endIdleOutput();
      })();
    }
    return this.exitDone.promise;
  }

  /**
   * The init exited: if its output stays open and idle (see INIT_OUTPUT_IDLE_MS), end it. An exec's
   * output is left alone: a background child of the exec may still hold it, as with runc.
   */
  private async endIdleOutput(): Promise<void> {
    while (!this.outputEnded) {
      await Promise.race([this.outputDone, Bun.sleep(500)]);
      const idle = this.writing === 0 && performance.now() - this.lastOutputAt > INIT_OUTPUT_IDLE_MS;
      if (!this.outputEnded && idle) {
        log.warn(`${this.name} exited but its output did not end; ending it`);
        await this.io.closeOutput();
        return;
      }
    }
  }

  /** Resolves once this process's exit is known and published, whichever way it came. */
  get exitPublished(): Promise<Exit> {
    return this.exitDone.promise;
  }

  /** Resolves once the exit was handled (for Delete: TaskExit goes out before TaskDelete). */
  exited(timeoutMs = OUTPUT_DRAIN_MS * 2): Promise<Exit | undefined> {
    return Promise.race([this.exitDone.promise, Bun.sleep(timeoutMs).then(() => undefined)]);
  }

  get name(): string {
    return this.ref.execId ? `exec ${this.ref.execId} of ${this.ref.containerId}` : this.ref.containerId;
  }
}
