// etcd's member and cluster IDs, derived exactly as etcd 3.4 derives them, so the same flags
// give the same IDs in response headers (`etcdctl -w json`, `-w protobuf`) as real etcd.
//
// Worked example (etcd 3.4.23, one member, default token):
//   peer URLs ["http://127.0.0.1:16380"], token "etcd-cluster"
//   member ID = first 8 bytes, big-endian, of SHA-1("http://127.0.0.1:16380" + "etcd-cluster")
//             = 1518530654159652862
//   cluster ID = first 8 bytes of SHA-1(8 big-endian bytes of each member ID, sorted)
//             = 8824506472088007024
// IDs are uint64 and pass 2^53, so they are bigint here; on the wire and in hello frames they
// travel as decimal strings.

import { createHash } from 'node:crypto';
import { assert } from '../util/assert.js';

export type MemberId = bigint;
export type ClusterId = bigint;

/** etcd's default `--initial-cluster-token`. */
export const defaultClusterToken = 'etcd-cluster';

const uint64Max = (1n << 64n) - 1n;

function first8BytesBigEndian(bytes: Uint8Array): bigint {
  let id = 0n;
  for (let i = 0; i < 8; i++) id = (id << 8n) | BigInt(bytes[i]!);
  return id;
}

/**
 * A member's ID from its peer URLs (as written in `--initial-cluster`, compared as strings
 * after sorting) and the cluster token. `unixSeconds` is given only for a member added at
 * runtime (MemberAdd): etcd then appends the server's clock in whole seconds, which makes
 * re-adding the same URLs yield a new ID.
 */
export function memberIdFromPeerUrls(
  peerUrls: readonly string[],
  token: string,
  unixSeconds?: number,
): MemberId {
  assert(peerUrls.length > 0, 'a member needs at least one peer URL');
  const sorted = [...peerUrls].sort(compareStrings);
  let input = sorted.join('') + token;
  if (unixSeconds !== undefined) {
    assert(Number.isSafeInteger(unixSeconds), 'unixSeconds must be a whole number of seconds');
    input += String(unixSeconds);
  }
  return first8BytesBigEndian(createHash('sha1').update(input, 'utf8').digest());
}

/**
 * The ID etcd 3.4's MemberAdd gives a new member. NB: observed on etcd 3.4.23, the runtime
 * path passes an empty cluster token, not `--initial-cluster-token`: the ID depends only on the
 * peer URLs and the leader's clock (test/cluster/fixtures/etcd-3.4-member-ids.json).
 */
export function memberIdForRuntimeAdd(peerUrls: readonly string[], unixSeconds: number): MemberId {
  return memberIdFromPeerUrls(peerUrls, '', unixSeconds);
}

/** The cluster ID from the IDs of the members that bootstrapped it (order does not matter). */
export function clusterIdFromMemberIds(memberIds: readonly MemberId[]): ClusterId {
  assert(memberIds.length > 0, 'a cluster needs at least one member');
  const sorted = [...memberIds].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const bytes = new Uint8Array(8 * sorted.length);
  const view = new DataView(bytes.buffer);
  sorted.forEach((id, i) => {
    assert(id >= 0n && id <= uint64Max, `member ID ${id} is not a uint64`);
    view.setBigUint64(8 * i, id, false);
  });
  return first8BytesBigEndian(createHash('sha1').update(bytes).digest());
}

export interface BootstrapMember {
  name: string;
  peerUrls: readonly string[];
}

/** The IDs of a cluster bootstrapped from `--initial-cluster` with `--initial-cluster-state new`. */
export function idsOfNewCluster(
  members: readonly BootstrapMember[],
  token: string,
): { clusterId: ClusterId; members: { name: string; id: MemberId }[] } {
  const withIds = members.map((m) => ({ name: m.name, id: memberIdFromPeerUrls(m.peerUrls, token) }));
  return { clusterId: clusterIdFromMemberIds(withIds.map((m) => m.id)), members: withIds };
}

/** Parses a decimal uint64 (how member and cluster IDs travel in text); undefined if it is not one. */
export function parseUint64Decimal(text: string): bigint | undefined {
  if (!/^(0|[1-9][0-9]{0,19})$/.test(text)) return undefined;
  const n = BigInt(text);
  return n <= uint64Max ? n : undefined;
}

/** etcd prints member IDs in hex in tables and logs (`bdae9bbc11dd390d`). */
export function formatIdHex(id: bigint): string {
  return id.toString(16);
}

function compareStrings(a: string, b: string): number {
  // Byte order, like Go's sort.Strings (localeCompare would not be).
  return a < b ? -1 : a > b ? 1 : 0;
}
