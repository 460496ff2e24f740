// The one place where gRPC statuses from the agent become RunmError (the inverse of
// agent/server/status.ts), keeping the caller's stack as the cause.
import { type ServiceError, status } from "@grpc/grpc-js";
import { type ErrorKind, RunmError } from "../errors.ts";
import { HINT_METADATA_KEY } from "../proto/wire.ts";

const CODE_TO_KIND: Partial<Record<status, ErrorKind>> = {
  [status.INVALID_ARGUMENT]: "InvalidArgument",
  [status.NOT_FOUND]: "NotFound",
  [status.ALREADY_EXISTS]: "AlreadyExists",
  [status.FAILED_PRECONDITION]: "FailedPrecondition",
  [status.PERMISSION_DENIED]: "PermissionDenied",
  [status.UNAVAILABLE]: "Unavailable",
  [status.UNIMPLEMENTED]: "NotImplemented",
  [status.DEADLINE_EXCEEDED]: "DeadlineExceeded",
  [status.CANCELLED]: "Unavailable",
};

export function fromStatus(e: unknown, rpc: string): RunmError {
  const se = e as Partial<ServiceError>;
  if (typeof se?.code !== "number")
    return new RunmError("Internal", `agent ${rpc}: ${String(e)}`, { cause: e });
  const kind = CODE_TO_KIND[se.code] ?? "Internal";
  const hintValue = se.metadata?.get(HINT_METADATA_KEY)[0];
  const hint =
    typeof hintValue === "string"
      ? hintValue
      : kind === "Unavailable"
        ? "check that the VM is running and its agent started (see the VM console log)"
        : undefined;
  return new RunmError(kind, `agent ${rpc}: ${se.details || se.message}`, { hint, cause: e });
}
