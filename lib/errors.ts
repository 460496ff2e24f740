// One closed set of error kinds for the whole project. Code throws RunmError with a kind and, for
// anything a user can act on, a hint that says how to fix it. Conversion to a wire status (gRPC,
// ttrpc) or to an exit code happens in exactly one place per boundary.

export type ErrorKind =
  | "InvalidArgument" // bad flag value, bad config, unknown name: the user's input is wrong
  | "NotFound"
  | "AlreadyExists"
  | "FailedPrecondition" // a required tool or artifact is missing or unusable
  | "PermissionDenied" // the operator's policy does not allow it
  | "Unavailable" // a peer (VM, agent, containerd) cannot be reached
  | "NotImplemented"
  | "DeadlineExceeded"
  | "Internal";

export interface RunmErrorOptions {
  /** How to fix it, e.g. "install it with: apt-get install qemu-system-x86". */
  hint?: string;
  cause?: unknown;
  /** Extra lines shown under the message (e.g. the tail of a build log or a VM console). */
  details?: string[];
}

export class RunmError extends Error {
  readonly kind: ErrorKind;
  readonly hint?: string;
  readonly details: string[];

  constructor(kind: ErrorKind, message: string, opts: RunmErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = "RunmError";
    this.kind = kind;
    this.hint = opts.hint;
    this.details = opts.details ?? [];
  }

  /** The one line a user sees: what went wrong, then how to fix it. */
  oneLine(): string {
    return this.hint ? `${this.message}; ${this.hint}` : this.message;
  }
}

export const invalidArgument = (msg: string, opts?: RunmErrorOptions) =>
  new RunmError("InvalidArgument", msg, opts);
export const notFound = (msg: string, opts?: RunmErrorOptions) => new RunmError("NotFound", msg, opts);
export const alreadyExists = (msg: string, opts?: RunmErrorOptions) =>
  new RunmError("AlreadyExists", msg, opts);
export const failedPrecondition = (msg: string, opts?: RunmErrorOptions) =>
  new RunmError("FailedPrecondition", msg, opts);
export const permissionDenied = (msg: string, opts?: RunmErrorOptions) =>
  new RunmError("PermissionDenied", msg, opts);
export const unavailable = (msg: string, opts?: RunmErrorOptions) => new RunmError("Unavailable", msg, opts);
export const notImplemented = (msg: string, opts?: RunmErrorOptions) =>
  new RunmError("NotImplemented", msg, opts);
export const deadlineExceeded = (msg: string, opts?: RunmErrorOptions) =>
  new RunmError("DeadlineExceeded", msg, opts);
export const internal = (msg: string, opts?: RunmErrorOptions) => new RunmError("Internal", msg, opts);

export function isRunmError(e: unknown, kind?: ErrorKind): e is RunmError {
  return e instanceof RunmError && (kind === undefined || e.kind === kind);
}

/** Message of any thrown value, for wrapping foreign errors. */
export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
