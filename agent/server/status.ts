// The one place where agent errors become gRPC statuses: RunmError kinds map to codes, the hint
// rides in metadata; anything else is Internal with its message.
import { Metadata, type ServiceError, status } from "@grpc/grpc-js";
import { type ErrorKind, isRunmError, messageOf } from "../../lib/errors.ts";
import { logger } from "../../lib/log.ts";
import { HINT_METADATA_KEY } from "../../lib/proto/wire.ts";

const log = logger("agent");

export const KIND_TO_CODE: Record<ErrorKind, status> = {
  InvalidArgument: status.INVALID_ARGUMENT,
  NotFound: status.NOT_FOUND,
  AlreadyExists: status.ALREADY_EXISTS,
  FailedPrecondition: status.FAILED_PRECONDITION,
  PermissionDenied: status.PERMISSION_DENIED,
  Unavailable: status.UNAVAILABLE,
  NotImplemented: status.UNIMPLEMENTED,
  DeadlineExceeded: status.DEADLINE_EXCEEDED,
  Internal: status.INTERNAL,
};

export function toStatus(e: unknown): Partial<ServiceError> {
  const metadata = new Metadata();
  if (isRunmError(e)) {
    if (e.hint) metadata.set(HINT_METADATA_KEY, e.hint);
    if (e.kind === "Internal") log.warn(e.message);
    return { code: KIND_TO_CODE[e.kind], details: e.message, metadata };
  }
  log.error(e);
  return { code: status.INTERNAL, details: messageOf(e), metadata };
}
