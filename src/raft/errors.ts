// Errors the Raft core reports to its caller. Each has a stable `code`.

export class RaftError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'RaftError';
  }
}

/** The requested index is older than the storage's first index (it was compacted away). */
export class CompactedError extends RaftError {
  constructor(message = 'requested index is unavailable due to compaction') {
    super('RAFT_COMPACTED', message);
  }
}

/** The requested index is newer than the storage's last index. */
export class UnavailableError extends RaftError {
  constructor(message = 'requested entry at index is unavailable') {
    super('RAFT_UNAVAILABLE', message);
  }
}

/** A snapshot is being built; the leader will retry later. */
export class SnapshotTemporarilyUnavailableError extends RaftError {
  constructor() {
    super('RAFT_SNAPSHOT_TEMPORARILY_UNAVAILABLE', 'snapshot is temporarily unavailable');
  }
}

/** The snapshot given is older than the one the storage already has. */
export class SnapOutOfDateError extends RaftError {
  constructor() {
    super('RAFT_SNAP_OUT_OF_DATE', 'requested index is older than the existing snapshot');
  }
}

/** A proposal was dropped: no leader is known, leadership is moving, or limits are exceeded. */
export class ProposalDroppedError extends RaftError {
  constructor(reason: string) {
    super('RAFT_PROPOSAL_DROPPED', `raft proposal dropped: ${reason}`);
  }
}

/** A Step was called with a message that belongs to another node or a local-only type. */
export class StepError extends RaftError {
  constructor(message: string) {
    super('RAFT_STEP', message);
  }
}
