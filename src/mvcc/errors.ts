// Errors of the etcd core that users see. Each carries etcd's exact message; src/api maps the
// `code` to a gRPC status in one table. Internal failures are assertions, not these.

export type EtcdErrorCode =
  | 'KeyNotProvided'
  | 'KeyNotFound'
  | 'TooManyOps'
  | 'DuplicateKey'
  | 'RequestTooLarge'
  | 'Compacted'
  | 'FutureRev'
  | 'LeaseNotFound'
  | 'LeaseExist'
  | 'LeaseTTLTooLarge'
  | 'NoSpace'
  | 'NoLeader'
  | 'Timeout'
  | 'Stopped'
  | 'MemberNotFound'
  | 'BadLeaderTransferee'
  | 'NotLeader'
  | 'InvalidArgument'
  /** Flotilla: what the sharded modes cannot do yet (the message says what); etcd has no such error. */
  | 'NotSupported'
  /** Flotilla: a part of the cluster (PD, a region) cannot be reached; the message says which. */
  | 'Unavailable';

export const etcdMessages: Record<Exclude<EtcdErrorCode, 'InvalidArgument' | 'NotSupported' | 'Unavailable'>, string> = {
  KeyNotProvided: 'etcdserver: key is not provided',
  KeyNotFound: 'etcdserver: key not found',
  TooManyOps: 'etcdserver: too many operations in txn request',
  DuplicateKey: 'etcdserver: duplicate key given in txn request',
  RequestTooLarge: 'etcdserver: request is too large',
  Compacted: 'etcdserver: mvcc: required revision has been compacted',
  FutureRev: 'etcdserver: mvcc: required revision is a future revision',
  LeaseNotFound: 'etcdserver: requested lease not found',
  LeaseExist: 'etcdserver: lease already exists',
  LeaseTTLTooLarge: 'etcdserver: too large lease TTL',
  NoSpace: 'etcdserver: mvcc: database space exceeded',
  NoLeader: 'etcdserver: no leader',
  Timeout: 'etcdserver: request timed out',
  Stopped: 'etcdserver: server stopped',
  MemberNotFound: 'etcdserver: member not found',
  BadLeaderTransferee: 'etcdserver: bad leader transferee',
  NotLeader: 'etcdserver: not leader',
};

function defaultMessage(code: EtcdErrorCode): string {
  switch (code) {
    case 'InvalidArgument':
      return 'invalid argument';
    case 'NotSupported':
      return 'etcdserver: not supported in this mode';
    case 'Unavailable':
      return 'etcdserver: unavailable';
    default:
      return etcdMessages[code];
  }
}

export class EtcdError extends Error {
  constructor(
    readonly code: EtcdErrorCode,
    message?: string,
  ) {
    super(message ?? defaultMessage(code));
    this.name = 'EtcdError';
  }
}
