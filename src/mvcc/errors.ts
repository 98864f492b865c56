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
  | 'InvalidArgument';

export const etcdMessages: Record<Exclude<EtcdErrorCode, 'InvalidArgument'>, string> = {
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

export class EtcdError extends Error {
  constructor(
    readonly code: EtcdErrorCode,
    message?: string,
  ) {
    super(message ?? (code === 'InvalidArgument' ? 'invalid argument' : etcdMessages[code]));
    this.name = 'EtcdError';
  }
}
