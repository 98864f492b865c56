// The options of one Raft group member. Limits carry their unit last (STYLE: TigerBeetle).

import type { Rand } from '../util/prng.js';
import type { ReadOnlyOption } from './read_only.js';
import type { Storage } from './storage.js';
import type { GroupId, Index, NodeId } from './types.js';

export interface RaftConfig {
  id: NodeId;
  /** The group every message of this node names. */
  group: GroupId;
  storage: Storage;
  /**
   * A follower that hears nothing from a leader for a random number of ticks in
   * [electionTicks, 2 * electionTicks) starts an election.
   */
  electionTicks: number;
  /** A leader sends heartbeats every heartbeatTicks ticks. Must be < electionTicks. */
  heartbeatTicks: number;
  /** The last applied index when restarting (entries up to it are not handed out again). */
  applied?: Index;
  /** Most bytes of entries in one append message (at least one entry is always sent). */
  msgBytesMax?: number;
  /** Most append messages in flight to one follower in replicate state. */
  inflightMsgsMax?: number;
  /** Most bytes of entries in flight to one follower (0 = no limit). */
  inflightBytesMax?: number;
  /** Most bytes of uncommitted entries a leader accepts before dropping proposals (0 = no limit). */
  uncommittedBytesMax?: number;
  /** Most bytes of committed entries in one Ready. */
  committedBytesPerReadyMax?: number;
  /** A leader that has not heard from a quorum for an election timeout steps down. */
  checkQuorum?: boolean;
  /** Run a pre-election first, so a partitioned node rejoining does not disrupt the leader. */
  preVote?: boolean;
  /** How linearizable reads are confirmed ('safe' = ReadIndex with a heartbeat round). */
  readOnlyOption?: ReadOnlyOption;
  /** Followers drop proposals instead of forwarding them to the leader. */
  disableProposalForwarding?: boolean;
  /**
   * The application persists a Ready's entries and hard state before it applies that Ready's
   * committed entries, in one atomic step (one storage transaction). A leader that is the only
   * voter may then count its new entries as committed at once (as etcd's raft does), so they are
   * persisted and applied in the same Ready instead of one Ready apart. Off: the leader counts
   * its own entries only after the Ready holding them was persisted.
   */
  applyWithPersist?: boolean;
  /** Randomness for election timeouts (injected: the core has no randomness of its own). */
  rand: Rand;
}

export interface ResolvedConfig extends Required<Omit<RaftConfig, 'applied'>> {
  applied: Index;
}

export function resolveConfig(c: RaftConfig): ResolvedConfig {
  const r: ResolvedConfig = {
    applied: (c.applied ?? 0) as Index,
    msgBytesMax: c.msgBytesMax ?? 1024 * 1024,
    inflightMsgsMax: c.inflightMsgsMax ?? 256,
    inflightBytesMax: c.inflightBytesMax ?? 0,
    uncommittedBytesMax: c.uncommittedBytesMax ?? 0,
    committedBytesPerReadyMax: c.committedBytesPerReadyMax ?? 64 * 1024 * 1024,
    checkQuorum: c.checkQuorum ?? false,
    preVote: c.preVote ?? false,
    readOnlyOption: c.readOnlyOption ?? 'safe',
    disableProposalForwarding: c.disableProposalForwarding ?? false,
    applyWithPersist: c.applyWithPersist ?? false,
    id: c.id,
    group: c.group,
    storage: c.storage,
    electionTicks: c.electionTicks,
    heartbeatTicks: c.heartbeatTicks,
    rand: c.rand,
  };
  if (!(r.id > 0 && Number.isSafeInteger(r.id))) throw new RangeError('raft config: id must be a positive safe integer');
  if (!(r.heartbeatTicks > 0)) throw new RangeError('raft config: heartbeatTicks must be greater than 0');
  if (!(r.electionTicks > r.heartbeatTicks)) throw new RangeError('raft config: electionTicks must be greater than heartbeatTicks');
  if (!(r.inflightMsgsMax > 0)) throw new RangeError('raft config: inflightMsgsMax must be greater than 0');
  if (r.inflightBytesMax !== 0 && r.inflightBytesMax < r.msgBytesMax) {
    throw new RangeError('raft config: inflightBytesMax must be >= msgBytesMax');
  }
  if (r.readOnlyOption === 'lease-based' && !r.checkQuorum) {
    throw new RangeError('raft config: checkQuorum must be enabled when readOnlyOption is lease-based');
  }
  return r;
}
