// What every process the agent launched has: a pid, its stdio, and an exit reported once by the
// reaper. Launching goes through `launch` so that a terminal's pty master is received from runc's
// console socket while runc runs.
import { internal } from "../../lib/errors.ts";
import type { ProcessIo } from "../stdio.ts";
import { ConsoleSocket } from "../sys/console-socket.ts";

export interface ExitStatus {
  /** Exit code, or 128 + signal. */
  status: number;
  exitedAt: Date;
}

export class ProcessHandle {
  pid = 0;
  exit: ExitStatus | undefined;
  private readonly exited = Promise.withResolvers<ExitStatus>();

  constructor(readonly io: ProcessIo) {}

  wait(): Promise<ExitStatus> {
    return this.exited.promise;
  }

  markExited(e: ExitStatus): void {
    if (this.exit) return;
    this.exit = e;
    this.io.processExited();
    this.exited.resolve(e);
  }
}

let socketSeq = 0;

/** Run `spawn` (a runc call) and wire the process's stdio, receiving the pty master if any. */
export async function launch(
  io: ProcessIo,
  socketDir: string,
  spawn: (consoleSocket?: string) => Promise<unknown>,
): Promise<void> {
  if (!io.terminal) {
    try {
      await spawn();
    } finally {
      io.afterSpawn();
    }
    return;
  }
  socketSeq += 1;
  const sock = ConsoleSocket.listen(`${socketDir}/console-${process.pid}-${socketSeq}.sock`);
  try {
    let failure: Error | undefined;
    let finished = false;
    const running = spawn(sock.path)
      .then(
        () => {
          finished = true;
        },
        (e: Error) => {
          failure = e;
          finished = true;
        },
      )
      .finally(() => sock.wake());
    const master = await sock.receiveMaster(
      () => failure ?? (finished ? internal("runc exited without sending the terminal") : undefined),
    );
    io.attachMaster(master);
    await running;
    if (failure) throw failure;
  } finally {
    sock.close();
  }
}
