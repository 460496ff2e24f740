// Starting a created runc container the way `runc start` does, without a runc process. After
// `runc create`, the container's init waits in runc init, opening the container's exec FIFO
// (`<runc root>/<id>/exec.fifo`) for writing; `runc start` opens it for reading, reads until the
// init's end closes (it writes one byte, runs the startContainer hooks, and its exec closes the
// end), and removes the FIFO, which is how runc tells a created container from a running one.
// Under TCG a Go program's start costs ~0.3 s of every container start in a template clone (its
// runtime's code is translated afresh in each clone), which is the whole of what `runc start`
// costs. Kata's agent signals its containers' exec FIFO itself for the same reason.
import { closeSync, constants, openSync, rmSync } from "node:fs";
import { failedPrecondition } from "../lib/errors.ts";
import { FdReader } from "../lib/fd-io.ts";

/** Whichever comes first: the reader's next chunk, or the init's exit (then null). */
async function readOrExit(reader: FdReader, exited: Promise<unknown>): Promise<Uint8Array | null> {
  return Promise.race([reader.read(), exited.then(() => null)]);
}

/**
 * Let the init waiting on `fifo` run its process; resolves once it has exec'd it (or ended).
 * `exited` resolves when the init exits. Fails as `runc start` does when the init is gone before it
 * could be started.
 */
export async function startThroughExecFifo(
  id: string,
  fifo: string,
  exited: Promise<unknown>,
): Promise<void> {
  // Opened for reading and writing, so it never blocks and never reads a premature end of file
  // while the init has not opened its end yet.
  let both: number;
  try {
    both = openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK);
  } catch (e) {
    throw failedPrecondition(
      `container ${id} cannot be started: its exec FIFO is gone (${(e as Error).message})`,
      {
        hint: "it was started already, or runc create did not complete",
      },
    );
  }
  const first = new FdReader(both);
  let readOnly: number | undefined;
  let rest: FdReader | undefined;
  try {
    const byte = await readOrExit(first, exited);
    if (!byte?.length) throw failedPrecondition(`container ${id}: its process is already dead`);
    // The init holds its end open now: a plain reader sees the end of file when its exec closes it.
    readOnly = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    first.finish();
    closeSync(both);
    both = -1;
    rest = new FdReader(readOnly);
    while ((await readOrExit(rest, exited))?.length);
    rmSync(fifo, { force: true });
  } finally {
    // A read still pending (the init's exit won the race) ends before its fd is closed.
    first.finish();
    rest?.finish();
    for (const fd of [both, readOnly]) {
      if (fd === undefined || fd < 0) continue;
      try {
        closeSync(fd);
      } catch {}
    }
  }
}
