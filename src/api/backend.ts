// What the API layer (gRPC services and JSON gateway) calls. The member (regions/) implements it
// for the unsharded mode; the router implements it for the sharded modes. Requests arrive here
// already decoded and validated for shape; the backend enforces etcd's semantic limits and
// throws EtcdError (src/mvcc/errors.ts) for everything a user can cause.

import type {
  CompactionRequest,
  DeleteRangeRequest,
  DeleteRangeResponse,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  TxnRequest,
  TxnResponse,
} from '../mvcc/types.js';
import type { WatchHub } from '../watch/types.js';

export interface ResponseHeader {
  clusterId: bigint;
  memberId: bigint;
  revision: number;
  raftTerm: number;
}

export interface Member {
  id: bigint;
  name: string;
  peerURLs: string[];
  clientURLs: string[];
  isLearner: boolean;
}

export interface StatusInfo {
  version: string;
  dbSize: number;
  dbSizeInUse: number;
  leader: bigint;
  raftIndex: number;
  raftTerm: number;
  raftAppliedIndex: number;
  errors: string[];
  isLearner: boolean;
}

export interface LeaseGrantResult {
  id: bigint;
  ttl: number;
}

export interface LeaseTimeToLiveResult {
  id: bigint;
  /** Remaining seconds; -1 if the lease does not exist. */
  ttl: number;
  grantedTtl: number;
  keys: Uint8Array[];
}

export type AlarmType = 'NONE' | 'NOSPACE' | 'CORRUPT';
export interface AlarmMember {
  memberId: bigint;
  alarm: AlarmType;
}

export interface EtcdBackend {
  /** The header for a response: this member, and the revision/term as of now. */
  header(revision?: number): ResponseHeader;
  range(req: RangeRequest): Promise<RangeResponse>;
  put(req: PutRequest): Promise<PutResponse>;
  deleteRange(req: DeleteRangeRequest): Promise<DeleteRangeResponse>;
  txn(req: TxnRequest): Promise<TxnResponse>;
  compact(req: CompactionRequest): Promise<{ revision: number }>;
  /** id 0n = let the server choose. Throws LeaseExist, LeaseTTLTooLarge. */
  leaseGrant(ttl: number, id: bigint): Promise<LeaseGrantResult>;
  /** Throws LeaseNotFound. */
  leaseRevoke(id: bigint): Promise<{ revision: number }>;
  /** Renews the lease; ttl 0 in the result if it does not exist (etcd's keep-alive reply). */
  leaseKeepAlive(id: bigint): Promise<LeaseGrantResult>;
  leaseTimeToLive(id: bigint, keys: boolean): Promise<LeaseTimeToLiveResult>;
  leaseLeases(): Promise<bigint[]>;
  readonly watchHub: WatchHub;
  status(): Promise<StatusInfo>;
  memberList(): Promise<Member[]>;
  alarm(action: 'GET' | 'ACTIVATE' | 'DEACTIVATE', memberId: bigint, alarm: AlarmType): Promise<AlarmMember[]>;
  hash(): Promise<{ hash: number; revision: number }>;
  hashKV(revision: number): Promise<{ hash: number; compactRevision: number; revision: number }>;
  defragment(): Promise<void>;
  /** Hands leadership to targetId (this member must lead). Throws NotLeader, BadLeaderTransferee. */
  moveLeader(targetId: bigint): Promise<void>;
}
