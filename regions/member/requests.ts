// What a member proposes through Raft: one request per entry, applied in log order on every
// member. Each carries the proposer's request id, so the proposer can hand the result back to
// the client waiting for it.
//
// Everything nondeterministic is decided before proposing (a server-chosen lease ID, the
// time a lease expired): applying an entry depends on nothing but the entry and the state.

import type { AlarmType } from '../../src/api/backend.js';
import type { CompactionRequest, DeleteRangeRequest, PutRequest, TxnRequest } from '../../src/mvcc/types.js';
import { pack, unpack } from '../../src/util/msgpack.js';

export type RaftRequest =
  | { op: 'put'; req: PutRequest }
  | { op: 'deleteRange'; req: DeleteRangeRequest }
  | { op: 'txn'; req: TxnRequest }
  | { op: 'compact'; req: CompactionRequest }
  | { op: 'leaseGrant'; id: bigint; ttl: number }
  | { op: 'leaseRevoke'; id: bigint }
  /** A keep-alive that reached a follower: the leader renews the lease when it applies this. */
  | { op: 'leaseKeepAlive'; id: bigint }
  /** A member announces its name and client URLs (etcd publishes member attributes the same way). */
  | { op: 'publish'; memberId: bigint; name: string; clientURLs: string[] }
  /** Raises or clears an alarm (NOSPACE is raised by the member whose quota ran out). */
  | { op: 'alarm'; action: 'ACTIVATE' | 'DEACTIVATE'; memberId: bigint; alarm: AlarmType };

export interface RaftEnvelope {
  /** `${proposer member id}:${sequence}`; unique across members and restarts. */
  rid: string;
  r: RaftRequest;
}

export function encodeRequest(env: RaftEnvelope): Uint8Array {
  return pack(env);
}

export function decodeRequest(data: Uint8Array): RaftEnvelope {
  return unpack<RaftEnvelope>(data);
}
