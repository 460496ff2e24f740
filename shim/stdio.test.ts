// Host-side stdio through real FIFOs, a file:// log and a binary:// logging driver.
import { afterAll, expect, test } from "bun:test";
import {
  chmodSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openHostIo } from "./stdio.ts";

const dir = mkdtempSync(join(tmpdir(), "runm-stdio-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const enc = (s: string) => new TextEncoder().encode(s);
const who = { containerId: "c1", namespace: "ns1" };

/** Wait until process `pid` has `path` open. */
async function untilOpened(pid: number, path: string): Promise<void> {
  const opened = () => {
    try {
      return readdirSync(`/proc/${pid}/fd`).some((fd) => {
        try {
          return readlinkSync(`/proc/${pid}/fd/${fd}`) === path;
        } catch {
          return false;
        }
      });
    } catch {
      return false;
    }
  };
  for (let i = 0; i < 500 && !opened(); i++) await Bun.sleep(10);
  expect(opened()).toBe(true);
}

test("FIFOs: output reaches a reader that attaches late; stdin flows until closeStdin", async () => {
  const [i, o, e] = ["in", "out", "err"].map((n) => join(dir, n)) as [string, string, string];
  for (const f of [i, o, e]) Bun.spawnSync(["mkfifo", f]);
  const io = await openHostIo({ stdin: i, stdout: o, stderr: e, terminal: false }, who);
  // No reader yet (a detached container): writing does not block or fail.
  await io.stdout?.write(enc("early "));
  const reader = Bun.spawn(["cat", o], { stdout: "pipe" });
  // cat must have the FIFO open before our last writer closes (ctr always opens first); under
  // load its start can take longer than the rest of this test.
  await untilOpened(reader.pid, o);
  await io.stdout?.write(enc("late\n"));
  const writer = Bun.spawn(["sh", "-c", `printf 'typed' > ${i}`]);
  await writer.exited;
  const got: string[] = [];
  const it = io.stdin?.[Symbol.asyncIterator]();
  const first = await it?.next();
  got.push(new TextDecoder().decode(first?.value));
  io.closeStdin();
  expect(got).toEqual(["typed"]);
  expect((await it?.next())?.done).toBe(true);
  await io.close();
  expect(await new Response(reader.stdout).text()).toBe("early late\n");
});

test("closeStdin (CloseIO) still delivers what the client wrote into the FIFO before it", async () => {
  // ctr writes its last bytes, then asks CloseIO: they may not have been read yet.
  const [i, o] = ["in2", "out2"].map((n) => join(dir, n)) as [string, string];
  for (const f of [i, o]) Bun.spawnSync(["mkfifo", f]);
  const io = await openHostIo({ stdin: i, stdout: o, stderr: "", terminal: false }, who);
  const sent = Buffer.alloc(60_000, "x"); // within a FIFO's 64 KiB, so the writer is done before we read
  const writer = Bun.spawn(["sh", "-c", `head -c ${sent.length} /dev/zero | tr '\\0' x > ${i}`]);
  await writer.exited;
  io.closeStdin();
  const chunks: Uint8Array[] = [];
  for await (const c of io.stdin ?? []) chunks.push(c);
  expect(Buffer.concat(chunks).equals(sent)).toBe(true);
  await io.close();
});

test("file:// appends stdout and stderr to one file", async () => {
  const log = join(dir, "logs", "c1.log");
  const io = await openHostIo(
    { stdin: "", stdout: `file://${log}`, stderr: `file://${log}`, terminal: false },
    who,
  );
  await io.stdout?.write(enc("out\n"));
  await io.stderr?.write(enc("err\n"));
  await io.close();
  expect(readFileSync(log, "utf8")).toBe("out\nerr\n");
});

test("binary://: the logging binary gets stdout on fd 3, stderr on fd 4, its identity in env", async () => {
  const out = join(dir, "binlog.txt");
  const bin = join(dir, "logger.sh");
  writeFileSync(
    bin,
    `#!/bin/sh\nexec 5>&-\necho "id=$CONTAINER_ID ns=$CONTAINER_NAMESPACE arg=$1" > ${out}\ncat <&3 >> ${out}\ncat <&4 >> ${out}\n`,
  );
  chmodSync(bin, 0o755);
  const io = await openHostIo(
    { stdin: "", stdout: `binary://${bin}?--flag`, stderr: `binary://${bin}?--flag`, terminal: false },
    who,
  );
  await io.stdout?.write(enc("to stdout\n"));
  await io.stderr?.write(enc("to stderr\n"));
  await io.close();
  expect(readFileSync(out, "utf8")).toBe("id=c1 ns=ns1 arg=--flag\nto stdout\nto stderr\n");
});

test("a FIFO nobody reads: output past the pipe buffer waits, and close still ends in bounded time", async () => {
  const o = join(dir, "unread");
  Bun.spawnSync(["mkfifo", o]);
  const io = await openHostIo({ stdin: "", stdout: o, stderr: "", terminal: false }, who);
  let written = false;
  const big = io.stdout?.write(new Uint8Array(2 * 1024 * 1024)).then(() => {
    written = true;
  });
  await Bun.sleep(100);
  expect(written).toBe(false); // 1 MiB in the FIFO (shim/stdio.ts growFifo), the rest waits for a reader
  await io.close(); // gives up on the unread rest after the drain window instead of hanging
  await big;
  expect(written).toBe(true);
}, 20_000);
