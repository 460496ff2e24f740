// How the agent reaps. runc create/exec -d detach: the container's init and each exec'd process
// are children of a runc that exits, so the kernel re-parents them to the nearest child
// subreaper. The agent marks itself one (prctl PR_SET_CHILD_SUBREAPER) and, on every SIGCHLD
// (lib/sys/readiness.ts onChildExit), calls waitpid(pid, WNOHANG) for exactly the pids it was told
// about, to get the raw status: exit N → N, signal S → 128+S, like a shell. No timer runs while
// nothing exits. It never calls waitpid(-1), because Bun reaps its own spawned children (runc)
// itself and must keep their statuses; stray zombies re-parented to us (none expected, as runc's
// intermediate children are reaped by runc) are collected by a sweep over /proc that skips pids
// Bun owns, run shortly after a SIGCHLD. Foreground `runc run`/`runc exec` would report statuses
// too, but it cannot hand a tty to a non-tty caller, cannot split Create from Start, and loses the
// status if runc dies, so it is not used.
import { readdirSync, readFileSync } from "node:fs";
import { logger } from "../../lib/log.ts";
import { check, ECHILD, errno, libc } from "../../lib/sys/libc.ts";
import { onChildExit } from "../../lib/sys/readiness.ts";

const log = logger("agent");
const PR_SET_CHILD_SUBREAPER = 36;
const WNOHANG = 1;
/** A sweep runs this long after the SIGCHLD that may have made a stray zombie (coalesces bursts). */
const SWEEP_DELAY_MS = 200;

export interface ExitInfo {
  pid: number;
  /** Shell convention: exit code, or 128 + signal number. */
  status: number;
  exitedAt: Date;
}

/** Decode a wait(2) status word. */
export function decodeWaitStatus(raw: number): number {
  const sig = raw & 0x7f;
  return sig === 0 ? (raw >> 8) & 0xff : 128 + sig;
}

let subreaper = false;

export class Reaper {
  private readonly watched = new Map<number, (e: ExitInfo) => void>();
  /** Pids spawned through Bun: Bun reaps these, the sweep must not. */
  private readonly bunOwned = new Set<number>();
  private sweepTimer: ReturnType<typeof setTimeout> | undefined;
  private unlisten: (() => void) | undefined;
  /** Launches in flight: their process may exit before its pid is known (see whileLaunching). */
  private launching = 0;

  /**
   * Listen for SIGCHLD from the first watch on. The sweep runs only in a child subreaper (the
   * agent): elsewhere every zombie child is one a library spawned and will reap itself (a sweep
   * would steal its status and leave the library waiting forever).
   */
  private listen(): void {
    this.unlisten ??= onChildExit(() => {
      this.reapWatched();
      if (Reaper.isSubreaper()) this.scheduleSweep();
    });
  }

  /** Become the child subreaper of this process tree. */
  static becomeSubreaper(): void {
    check("prctl(PR_SET_CHILD_SUBREAPER)", libc().prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));
    subreaper = true;
  }

  static isSubreaper(): boolean {
    return subreaper;
  }

  /** Call for every process started with Bun.spawn, for its whole life. */
  ownedByBun(pid: number, exited: Promise<unknown>): void {
    this.bunOwned.add(pid);
    void exited.finally(() => this.bunOwned.delete(pid));
  }

  /** Report the exit of `pid` (a re-parented container process) once, through `onExit`. */
  watch(pid: number, onExit: (e: ExitInfo) => void): void {
    this.watched.set(pid, onExit);
    this.listen();
    this.reapWatched(); // it may have exited already (its SIGCHLD came before the watch)
  }

  /**
   * Run `fn`, which starts a container process and watches its pid, with the sweep held off: a
   * quick exec (`echo; exit 3`) can exit and sit as our zombie before runc has written its pid
   * file, and a sweep in that window would take its status (it then read as "vanished", 255).
   */
  async whileLaunching<T>(fn: () => Promise<T>): Promise<T> {
    this.launching += 1;
    try {
      return await fn();
    } finally {
      this.launching -= 1;
      if (Reaper.isSubreaper()) this.scheduleSweep();
    }
  }

  /** Stop listening (agent shutdown). */
  stop(): void {
    this.unlisten?.();
    this.unlisten = undefined;
    clearTimeout(this.sweepTimer);
    this.sweepTimer = undefined;
  }

  private reapWatched(): void {
    const status = new Int32Array(1);
    for (const [pid, onExit] of this.watched) {
      const r = libc().waitpid(pid, status, WNOHANG);
      if (r === pid) {
        this.watched.delete(pid);
        onExit({ pid, status: decodeWaitStatus(status[0] ?? 0), exitedAt: new Date() });
      } else if (r < 0 && errno() === ECHILD && !isAlive(pid)) {
        // Not our child and gone: someone else reaped it. Should not happen; report it loudly.
        this.watched.delete(pid);
        log.warn(`pid ${pid} vanished without being reaped by the agent`);
        onExit({ pid, status: 255, exitedAt: new Date() });
      }
    }
  }

  private scheduleSweep(): void {
    this.sweepTimer ??= setTimeout(() => {
      this.sweepTimer = undefined;
      this.sweep();
    }, SWEEP_DELAY_MS);
  }

  /** Reap zombies that were re-parented to us and that nobody is waiting for. */
  sweep(): number {
    if (this.launching > 0) return 0;
    let reaped = 0;
    for (const pid of zombieChildren(process.pid)) {
      if (this.bunOwned.has(pid) || this.watched.has(pid)) continue;
      if (libc().waitpid(pid, new Int32Array(1), WNOHANG) === pid) reaped += 1;
    }
    if (reaped) log.debug(`reaped ${reaped} stray zombie(s)`);
    return reaped;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Pids of zombie processes whose parent is `ppid`, from /proc. */
export function zombieChildren(ppid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      // "pid (comm) S ppid ...": comm may hold spaces and parens, so split after the last ')'.
      const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (rest[0] === "Z" && Number(rest[1]) === ppid) out.push(Number(name));
    } catch {
      // raced with exit
    }
  }
  return out;
}
