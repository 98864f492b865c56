// The one table from etcd's errors to gRPC status codes, and from gRPC codes to the HTTP status
// the JSON gateway answers with. Both follow etcd 3.4 (rpctypes and grpc-gateway's
// HTTPStatusFromCode): clients match errors by message text, so the message is always etcd's.

import { EtcdError, type EtcdErrorCode } from '../mvcc/errors.js';

/** gRPC status codes (the numbers are the gRPC spec's, the same in every language). */
export const GrpcCode = {
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
export type GrpcCodeNumber = (typeof GrpcCode)[keyof typeof GrpcCode];

const grpcCodeOfEtcd: Record<EtcdErrorCode, GrpcCodeNumber> = {
  KeyNotProvided: GrpcCode.InvalidArgument,
  KeyNotFound: GrpcCode.InvalidArgument,
  TooManyOps: GrpcCode.InvalidArgument,
  DuplicateKey: GrpcCode.InvalidArgument,
  RequestTooLarge: GrpcCode.InvalidArgument,
  InvalidArgument: GrpcCode.InvalidArgument,
  Compacted: GrpcCode.OutOfRange,
  FutureRev: GrpcCode.OutOfRange,
  LeaseTTLTooLarge: GrpcCode.OutOfRange,
  LeaseNotFound: GrpcCode.NotFound,
  MemberNotFound: GrpcCode.NotFound,
  LeaseExist: GrpcCode.FailedPrecondition,
  NoSpace: GrpcCode.ResourceExhausted,
  NoLeader: GrpcCode.Unavailable,
  // NB: etcd answers a timed-out proposal with Unavailable, not DeadlineExceeded, so clients retry it.
  Timeout: GrpcCode.Unavailable,
  Stopped: GrpcCode.Unavailable,
  BadLeaderTransferee: GrpcCode.FailedPrecondition,
  NotLeader: GrpcCode.Unavailable,
  NotSupported: GrpcCode.Unimplemented,
  Unavailable: GrpcCode.Unavailable,
};

const httpStatusOfGrpc: Record<GrpcCodeNumber, number> = {
  0: 200,
  1: 408,
  2: 500,
  3: 400,
  4: 504,
  5: 404,
  6: 409,
  7: 403,
  8: 429,
  9: 412,
  10: 409,
  11: 400,
  12: 501,
  13: 500,
  14: 503,
  15: 500,
  16: 401,
};

/** An error that already carries its gRPC status (grpc-level failures etcd does not name). */
export class StatusError extends Error {
  constructor(
    readonly grpcCode: GrpcCodeNumber,
    message: string,
  ) {
    super(message);
    this.name = 'StatusError';
  }
}

export interface Status {
  code: GrpcCodeNumber;
  message: string;
}

/**
 * The status a failed call answers with. EtcdErrors by the table; anything else is a bug or an
 * outside failure: Unknown with its message (as etcd passes unknown errors through), and the
 * server goes on serving.
 */
export function statusOf(err: unknown): Status {
  if (err instanceof EtcdError) return { code: grpcCodeOfEtcd[err.code], message: err.message };
  if (err instanceof StatusError) return { code: err.grpcCode, message: err.message };
  if (err instanceof Error) return { code: GrpcCode.Unknown, message: err.message };
  return { code: GrpcCode.Unknown, message: String(err) };
}

export function httpStatusOf(code: GrpcCodeNumber): number {
  return httpStatusOfGrpc[code];
}

/** etcd errors raised by the API layer itself, which the core never throws. */
const apiErrors = {
  ValueProvided: [GrpcCode.InvalidArgument, 'etcdserver: value is provided'],
  LeaseProvided: [GrpcCode.InvalidArgument, 'etcdserver: lease is provided'],
  InvalidSortOption: [GrpcCode.InvalidArgument, 'etcdserver: invalid sort option'],
  AuthNotEnabled: [GrpcCode.FailedPrecondition, 'etcdserver: authentication is not enabled'],
} as const satisfies Record<string, readonly [GrpcCodeNumber, string]>;

export function apiError(name: keyof typeof apiErrors): StatusError {
  const [code, message] = apiErrors[name];
  return new StatusError(code, message);
}

/** What grpc-go answers for a method a server does not serve. */
export function unimplemented(service: string, method: string): StatusError {
  return new StatusError(GrpcCode.Unimplemented, `unknown method ${method} for service ${service}`);
}
