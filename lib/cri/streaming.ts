// A client of the CRI streaming server (the URL CRI's Exec and Attach answer), as `kubectl exec`
// reaches it through the API server: a WebSocket with Kubernetes' channel protocol
// `v4.channel.k8s.io` (k8s.io/apimachinery wsstream; kubelet's streaming library serves it next to
// SPDY). Every binary message starts with its channel: 0 stdin, 1 stdout, 2 stderr, 3 the error
// channel (v4: a metav1.Status JSON, with the exit code of a failed command), 4 terminal resize.

const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const ERROR = 3;
export const CHANNEL_PROTOCOL = "v4.channel.k8s.io";

export interface StreamResult {
  stdout: string;
  stderr: string;
  /** From the error channel: 0 on "Success", the ExitCode cause on a failure; null if none came. */
  exitCode: number | null;
}

interface Status {
  status?: string;
  message?: string;
  details?: { causes?: { reason?: string; message?: string }[] };
}

/** The exit code a v4 error-channel Status carries. */
export function exitCodeOf(status: Status): number {
  if (status.status === "Success") return 0;
  const cause = status.details?.causes?.find((c) => c.reason === "ExitCode");
  if (cause?.message && /^\d+$/.test(cause.message)) return Number(cause.message);
  throw new Error(`the stream failed: ${status.message ?? JSON.stringify(status)}`);
}

export interface CriStream {
  /** Send bytes to the process's stdin. */
  write(data: string | Uint8Array): void;
  /** Resolves once `text` has arrived on stdout (for attach, which never ends by itself). */
  waitFor(text: string, timeoutMs?: number): Promise<void>;
  /** Resolves when the server closes the stream (the process ended), with what arrived. */
  done: Promise<StreamResult>;
  close(): void;
}

/** Open the stream at a CRI streaming `url` (http://HOST:PORT/exec/TOKEN or /attach/TOKEN). */
export async function openCriStream(url: string): Promise<CriStream> {
  const ws = new WebSocket(url.replace(/^http/, "ws"), [CHANNEL_PROTOCOL]);
  ws.binaryType = "arraybuffer";
  const decoder = { out: new TextDecoder(), err: new TextDecoder() };
  const got: StreamResult = { stdout: "", stderr: "", exitCode: null };
  const watchers: { text: string; resolve: () => void }[] = [];
  const done = Promise.withResolvers<StreamResult>();
  ws.onmessage = (ev) => {
    const bytes = new Uint8Array(ev.data as ArrayBuffer);
    const body = bytes.subarray(1);
    switch (bytes[0]) {
      case STDOUT:
        got.stdout += decoder.out.decode(body, { stream: true });
        for (const w of watchers.filter((w) => got.stdout.includes(w.text))) w.resolve();
        break;
      case STDERR:
        got.stderr += decoder.err.decode(body, { stream: true });
        break;
      case ERROR:
        if (body.length) got.exitCode = exitCodeOf(JSON.parse(new TextDecoder().decode(body)) as Status);
        break;
    }
  };
  ws.onclose = () => done.resolve(got);
  ws.onerror = () => done.reject(new Error(`the CRI stream at ${url} failed`));
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    done.promise.catch(reject);
  });
  if (ws.protocol !== CHANNEL_PROTOCOL)
    throw new Error(
      `the streaming server chose protocol ${JSON.stringify(ws.protocol)}, not ${CHANNEL_PROTOCOL}`,
    );
  return {
    write: (data) => {
      const b = typeof data === "string" ? new TextEncoder().encode(data) : data;
      const frame = new Uint8Array(b.length + 1);
      frame[0] = STDIN;
      frame.set(b, 1);
      ws.send(frame);
    },
    waitFor: (text, timeoutMs = 30_000) =>
      new Promise((resolve, reject) => {
        if (got.stdout.includes(text)) return resolve();
        const timer = setTimeout(
          () =>
            reject(
              new Error(
                `no ${JSON.stringify(text)} on stdout within ${timeoutMs} ms (got ${JSON.stringify(got.stdout)})`,
              ),
            ),
          timeoutMs,
        );
        watchers.push({
          text,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      }),
    done: done.promise,
    close: () => ws.close(),
  };
}
