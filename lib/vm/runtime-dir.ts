// Each VM's runtime dir: <state>/vms/<id>/ holds the console log, pidfiles and sockets. A unix
// socket path must fit in sun_path (108 bytes with the NUL), so when the state dir is deep the
// sockets go to a short sibling under /tmp instead, and both are removed at teardown.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { alreadyExists, invalidArgument } from "../errors.ts";
import { logger } from "../log.ts";
import { dirs } from "../paths.ts";
import { removeTree } from "../sys/mounts.ts";
import { stillRunning } from "../sys/proc.ts";
import { readPidfile } from "./guarded-spawn.ts";

/** Longest socket file name we create inside the socket dir ("fs-<31-char tag>.sock"). */
const LONGEST_SOCKET_NAME = 40;
const log = logger("vm");
const SUN_PATH_MAX = 107;

export interface RuntimeDir {
  dir: string;
  socketDir: string;
  /** The guest console, whatever the driver. */
  consoleLog: string;
  /** The VMM's pid, written at spawn; createRuntimeDir reads it to refuse a live VM's id. */
  vmmPidfile: string;
  /** The host end of the agent's channel. */
  agentSocket: string;
  /** A file in the runtime dir. */
  file(name: string): string;
  /** A (new, empty) directory in the runtime dir. */
  mkdir(name: string): string;
  /** A unix socket path (in the short socket dir when the runtime dir is deep). */
  socket(name: string): string;
  remove(): void;
}

const VMM_PIDFILE = "vmm.pid";

export function vmsRoot(stateDir = dirs().state): string {
  return join(stateDir, "vms");
}

export function checkVmId(id: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(id)) {
    throw invalidArgument(`bad VM id "${id}"`, { hint: "use up to 64 letters, digits, '.', '_' or '-'" });
  }
}

export function socketDirFor(dir: string, id: string): string {
  if (dir.length + 1 + LONGEST_SOCKET_NAME <= SUN_PATH_MAX) return dir;
  const short = createHash("sha256").update(dir).digest("hex").slice(0, 12);
  return join(tmpdir(), `runm-${process.getuid?.() ?? 0}`, `${id.slice(0, 8)}-${short}`);
}

/** Create the runtime dir for a VM; a stale dir (its VMM dead) is replaced, a live one refused. */
/** A runtime dir goes with its hot-share mounts detached first (lib/sys/mounts.ts removeTree). */
function removeOrWarn(dir: string): void {
  const left = removeTree(dir);
  if (left.length) log.warn(`kept ${dir}: still mounted there: ${left.join(", ")}`);
}

export function createRuntimeDir(id: string, stateDir = dirs().state): RuntimeDir {
  checkVmId(id);
  const dir = join(vmsRoot(stateDir), id);
  if (existsSync(dir)) {
    const vmm = readPidfile(join(dir, VMM_PIDFILE));
    if (vmm && stillRunning(vmm)) {
      throw alreadyExists(`VM ${id} is already running (pid ${vmm.pid})`, {
        hint: "pick another id or stop that VM first",
      });
    }
    removeOrWarn(dir);
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const socketDir = socketDirFor(dir, id);
  if (socketDir !== dir) {
    rmSync(socketDir, { recursive: true, force: true });
    mkdirSync(socketDir, { recursive: true, mode: 0o700 });
  }
  return {
    dir,
    socketDir,
    consoleLog: join(dir, "console.log"),
    vmmPidfile: join(dir, VMM_PIDFILE),
    agentSocket: join(socketDir, "agent.sock"),
    file: (name) => join(dir, name),
    mkdir: (name) => {
      mkdirSync(join(dir, name), { recursive: true, mode: 0o700 });
      return join(dir, name);
    },
    socket: (name) => join(socketDir, name),
    remove() {
      removeOrWarn(dir);
      if (socketDir !== dir) rmSync(socketDir, { recursive: true, force: true });
    },
  };
}
