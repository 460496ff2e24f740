// gRPC status codes as ttrpc carries them (google.rpc.Status), and the one place that converts
// between wire statuses and runm's error kinds, in both directions.
import { type ErrorKind, isRunmError, messageOf, RunmError } from "../errors.ts";

export const Code = {
  OK: 0,
  Canceled: 1,
  Unknown: 2,
  InvalidArgument: 3,
  DeadlineExceeded: 4,
  NotFound: 5,
  AlreadyExists: 6,
  PermissionDenied: 7,
  ResourceExhausted: 8,
  FailedPrecondition: 9,
  Aborted: 10,
  OutOfRange: 11,
  Unimplemented: 12,
  Internal: 13,
  Unavailable: 14,
  DataLoss: 15,
  Unauthenticated: 16,
} as const;
export type CodeName = keyof typeof Code;

export function codeName(code: number): CodeName {
  return (Object.keys(Code) as CodeName[]).find((k) => Code[k] === code) ?? "Unknown";
}

export interface AnyMessage {
  typeUrl: string;
  value: Uint8Array;
}

export interface Status {
  code: number;
  message: string;
  details: AnyMessage[];
}

/** An error status from the peer, or one a handler wants to send as is. */
export class TtrpcError extends Error {
  readonly code: number;
  readonly details: AnyMessage[];

  constructor(code: CodeName | number, message: string, details: AnyMessage[] = []) {
    super(message);
    this.name = "TtrpcError";
    this.code = typeof code === "number" ? code : Code[code];
    this.details = details;
  }

  get codeName(): CodeName {
    return codeName(this.code);
  }
}

const KIND_TO_CODE: Record<ErrorKind, number> = {
  InvalidArgument: Code.InvalidArgument,
  NotFound: Code.NotFound,
  AlreadyExists: Code.AlreadyExists,
  FailedPrecondition: Code.FailedPrecondition,
  PermissionDenied: Code.PermissionDenied,
  Unavailable: Code.Unavailable,
  NotImplemented: Code.Unimplemented,
  DeadlineExceeded: Code.DeadlineExceeded,
  Internal: Code.Internal,
};

/** What a server sends for a thrown value. */
export function toStatus(e: unknown): Status {
  if (e instanceof TtrpcError) return { code: e.code, message: e.message, details: e.details };
  if (isRunmError(e)) return { code: KIND_TO_CODE[e.kind], message: e.oneLine(), details: [] };
  return { code: Code.Unknown, message: messageOf(e), details: [] };
}

const CODE_TO_KIND: Partial<Record<number, ErrorKind>> = {
  [Code.InvalidArgument]: "InvalidArgument",
  [Code.NotFound]: "NotFound",
  [Code.AlreadyExists]: "AlreadyExists",
  [Code.FailedPrecondition]: "FailedPrecondition",
  [Code.PermissionDenied]: "PermissionDenied",
  [Code.Unavailable]: "Unavailable",
  [Code.Unimplemented]: "NotImplemented",
  [Code.DeadlineExceeded]: "DeadlineExceeded",
};

/**
 * A RunmError for a status a client received, keeping the wire code in the message and the
 * local caller's stack (the stack of `callerStack`, captured where the call was made).
 */
export function fromStatus(st: Status, what: string, callerStack?: string): RunmError {
  const kind = CODE_TO_KIND[st.code] ?? "Internal";
  const err = new RunmError(kind, `${what}: ${codeName(st.code)}: ${st.message}`, {
    cause: new TtrpcError(st.code, st.message, st.details),
  });
  if (callerStack) err.stack = `${err.name}: ${err.message}\n${callerStack.split("\n").slice(1).join("\n")}`;
  return err;
}
