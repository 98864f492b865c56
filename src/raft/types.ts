// The values that go into and come out of the Raft core. Everything here is plain data: it can
// be copied between threads, encoded with msgpackr, and compared in tests.

/** A Raft term. */
export type Term = number & { readonly __brand: 'Term' };
/** A position in the Raft log (1-based; 0 means "before the first entry"). */
export type Index = number & { readonly __brand: 'Index' };
/**
 * A peer of a Raft group. Small positive safe integers handed out by the cluster (the etcd
 * layer maps etcd's 64-bit member IDs onto these; they never exceed 2^53). 0 means "nobody".
 */
export type NodeId = number;
/** A Raft group (a region). Every message names the group it belongs to. */
export type GroupId = number;

export const None: NodeId = 0;

export type Role = 'follower' | 'pre-candidate' | 'candidate' | 'leader';

export type EntryType = 'normal' | 'conf-change';

export interface Entry {
  term: Term;
  index: Index;
  type: EntryType;
  /** Opaque to Raft for normal entries; an encoded ConfChange for 'conf-change' entries. */
  data: Uint8Array;
}

export interface HardState {
  term: Term;
  /** Who this node voted for in `term` (None if nobody). */
  vote: NodeId;
  commit: Index;
}

/**
 * A group's membership. In a joint configuration `votersOutgoing` is non-empty and decisions
 * need a majority of `voters` AND a majority of `votersOutgoing`.
 * `learnersNext` are voters of the outgoing config that become learners when the joint
 * configuration is left (a node cannot be a voter and a learner at once).
 */
export interface ConfState {
  voters: NodeId[];
  learners: NodeId[];
  votersOutgoing: NodeId[];
  learnersNext: NodeId[];
  /** Leave the joint configuration automatically once it is committed and applied. */
  autoLeave: boolean;
}

export interface SnapshotMetadata {
  index: Index;
  term: Term;
  confState: ConfState;
}

export interface Snapshot {
  metadata: SnapshotMetadata;
  /** The application's state machine image, opaque to Raft. */
  data: Uint8Array;
}

export type ConfChangeType = 'add-node' | 'add-learner' | 'remove-node';

export interface ConfChangeSingle {
  type: ConfChangeType;
  nodeId: NodeId;
}

/**
 * How a change with several steps is carried out:
 * - 'auto': joint consensus when more than one voter changes, left automatically;
 * - 'joint-implicit': always joint, left automatically;
 * - 'joint-explicit': always joint, left only by proposing an empty ConfChange.
 */
export type ConfChangeTransition = 'auto' | 'joint-implicit' | 'joint-explicit';

export interface ConfChange {
  transition: ConfChangeTransition;
  /** Empty `changes` means "leave the joint configuration". */
  changes: ConfChangeSingle[];
  /** Opaque application data carried with the change (e.g. the new member's URLs). */
  context?: string;
}

export type MessageType =
  // Local messages: never sent over the network.
  | 'hup' // start an election
  | 'beat' // leader: send heartbeats
  | 'prop' // a proposal (may be forwarded to the leader)
  | 'read-index' // a linearizable read request (may be forwarded to the leader)
  | 'check-quorum' // leader: check that a quorum was recently active
  | 'unreachable' // the transport could not reach `from`
  | 'snap-status' // the transport reports the outcome of sending a snapshot
  | 'transfer-leader' // ask the leader to hand leadership to `from`
  // Network messages.
  | 'app'
  | 'app-resp'
  | 'vote'
  | 'vote-resp'
  | 'pre-vote'
  | 'pre-vote-resp'
  | 'snap'
  | 'heartbeat'
  | 'heartbeat-resp'
  | 'read-index-resp'
  | 'timeout-now';

export interface Message {
  type: MessageType;
  group: GroupId;
  from: NodeId;
  to: NodeId;
  term: Term;
  /**
   * 'app': term of the entry at `index` (the one before `entries`);
   * 'vote'/'pre-vote': the candidate's last log term.
   */
  logTerm: Term;
  /**
   * 'app': index just before `entries`; 'app-resp': the last index now matched, or on reject
   * the index that was rejected; 'vote'/'pre-vote': the candidate's last log index;
   * 'read-index-resp': the read index; 'heartbeat'/'heartbeat-resp': the leader's lease stamp.
   */
  index: Index;
  entries: Entry[];
  commit: Index;
  snapshot?: Snapshot;
  reject: boolean;
  /** On a rejected 'app-resp': the follower's hint of where its log may match. */
  rejectHint: Index;
  /**
   * 'read-index'/'heartbeat'/'heartbeat-resp'/'read-index-resp': the read request's id;
   * 'vote'/'pre-vote': 'transfer' when the election comes from a leader transfer.
   */
  context?: string;
}

export interface ReadState {
  index: Index;
  requestCtx: string;
}

export interface SoftState {
  lead: NodeId;
  role: Role;
}

/**
 * What the application must do next, in order: persist `hardState`, `entries` and `snapshot`
 * (with an fsync when `mustSync`), then send `messages`, then apply `snapshot` and
 * `committedEntries` to the state machine, then call `advance(ready)`.
 */
export interface Ready {
  softState?: SoftState;
  hardState?: HardState;
  readStates: ReadState[];
  entries: Entry[];
  snapshot?: Snapshot;
  committedEntries: Entry[];
  messages: Message[];
  mustSync: boolean;
}

export function emptyConfState(): ConfState {
  return { voters: [], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };
}

export const emptyHardState: Readonly<HardState> = Object.freeze({
  term: 0 as Term,
  vote: None,
  commit: 0 as Index,
});

export function isEmptyHardState(hs: HardState): boolean {
  return hs.term === 0 && hs.vote === None && hs.commit === 0;
}

export function hardStateEqual(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

export function isLocalMessage(t: MessageType): boolean {
  switch (t) {
    case 'hup':
    case 'beat':
    case 'unreachable':
    case 'snap-status':
    case 'check-quorum':
      return true;
    default:
      return false;
  }
}

export function isResponseMessage(t: MessageType): boolean {
  switch (t) {
    case 'app-resp':
    case 'vote-resp':
    case 'pre-vote-resp':
    case 'heartbeat-resp':
    case 'unreachable':
      return true;
    default:
      return false;
  }
}

/** The response type for a (pre-)vote request. */
export function voteRespType(t: MessageType): MessageType {
  return t === 'vote' ? 'vote-resp' : 'pre-vote-resp';
}

/** Approximate bytes an entry takes, for size limits (payload plus fixed overhead). */
export function entrySize(e: Entry): number {
  return e.data.length + 24;
}

export function payloadSize(e: Entry): number {
  return e.data.length;
}

/** A message with every field at its zero value, to fill in. */
export function message(partial: Partial<Message> & Pick<Message, 'type'>): Message {
  return {
    group: 0,
    from: None,
    to: None,
    term: 0 as Term,
    logTerm: 0 as Term,
    index: 0 as Index,
    entries: [],
    commit: 0 as Index,
    reject: false,
    rejectHint: 0 as Index,
    ...partial,
  };
}
