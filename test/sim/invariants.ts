// Safety properties of Raft, checked by the simulator after every event (Raft paper, Figure 3):
//
// - Election Safety: at most one leader can be elected in a given term.
// - Log Matching: if two logs contain an entry with the same index and term, then the logs are
//   identical in all entries up through that index.
// - Leader Completeness: if a log entry is committed in a given term, then that entry will be
//   present in the logs of the leaders for all higher-numbered terms.
// - State Machine Safety: if a server has applied a log entry at a given index to its state
//   machine, no other server will ever apply a different log entry for the same index.
// Plus ours: committed entries stay durable on a quorum (of each half of a joint config)
// across crashes; every counted vote comes from a voter (learners never vote); a learner
// never campaigns; a linearizable read's index is at least the commit index when it was asked.
//
// Log Matching is checked through chained fingerprints: entry i's fingerprint hashes entry
// i-1's fingerprint with i's term and data, so equal fingerprints at (index, term) mean equal
// prefixes. One map from (index, term) to fingerprint covers every pair of nodes at once.

import { Fnv64 } from '../../src/util/hash.js';
import type { Entry, Index, NodeId, Term } from '../../src/raft/index.js';

export class InvariantViolation extends Error {
  readonly code = 'SIM_INVARIANT';
  constructor(
    readonly invariant: string,
    detail: string,
  ) {
    super(`${invariant}: ${detail}`);
    this.name = 'InvariantViolation';
  }
}

export interface VoterSets {
  incoming: ReadonlySet<NodeId>;
  outgoing: ReadonlySet<NodeId>;
}

export interface CommitRecord {
  index: Index;
  term: Term;
  /** The configuration the leader counted the quorum in. */
  config: VoterSets;
  leader: NodeId;
}

function majorityOf(ids: ReadonlySet<NodeId>, has: (id: NodeId) => boolean): boolean {
  if (ids.size === 0) return true;
  let n = 0;
  for (const id of ids) if (has(id)) n++;
  return n > ids.size / 2;
}

export function bothMajorities(cfg: VoterSets, has: (id: NodeId) => boolean): boolean {
  return majorityOf(cfg.incoming, has) && majorityOf(cfg.outgoing, has);
}

export function entryFingerprint(prev: string, e: Entry): string {
  return new Fnv64().str(prev).num(e.term).str(e.type).bytes(e.data).hex();
}

export class Invariants {
  /** term -> the leader elected in it. */
  private readonly leaders = new Map<number, NodeId>();
  /** `${index}:${term}` -> chained fingerprint. */
  private readonly chains = new Map<string, string>();
  /** index -> fingerprint of the entry applied there (by anyone). */
  private readonly applied = new Map<number, string>();
  /** `${term}:${candidate}` -> voters that granted their vote. */
  private readonly grants = new Map<string, Set<NodeId>>();
  commit: CommitRecord | undefined;
  checks = 0;

  constructor(bootIndex: Index, bootTerm: Term) {
    this.chains.set(`${bootIndex}:${bootTerm}`, 'boot');
  }

  fail(invariant: string, detail: string): never {
    throw new InvariantViolation(invariant, detail);
  }

  /** The fingerprint the whole cluster agrees on for (index, term), if anyone has it. */
  chainAt(index: Index, term: Term): string | undefined {
    return this.chains.get(`${index}:${term}`);
  }

  /** Log Matching: a node durably appended `e` after an entry whose fingerprint is `prev`. */
  recordAppend(node: NodeId, prev: string, e: Entry): string {
    this.checks++;
    const fp = entryFingerprint(prev, e);
    const key = `${e.index}:${e.term}`;
    const known = this.chains.get(key);
    if (known === undefined) this.chains.set(key, fp);
    else if (known !== fp) {
      this.fail('log matching', `node ${node} has entry ${key} with a history that differs from another node's`);
    }
    return fp;
  }

  /** Election Safety, Leader Completeness and vote counting, when `node` becomes leader. */
  recordLeader(
    node: NodeId,
    term: Term,
    config: VoterSets,
    hasEntry: (index: Index, term: Term) => boolean,
  ): void {
    this.checks++;
    const prev = this.leaders.get(term);
    if (prev !== undefined && prev !== node) this.fail('election safety', `term ${term} has two leaders: ${prev} and ${node}`);
    if (prev === node) return;
    this.leaders.set(term, node);
    if (this.commit && !hasEntry(this.commit.index, this.commit.term)) {
      this.fail(
        'leader completeness',
        `leader ${node} of term ${term} lacks committed entry ${this.commit.index} (term ${this.commit.term})`,
      );
    }
    const granted = new Set(this.grants.get(`${term}:${node}`) ?? []);
    granted.add(node);
    // Only voters' grants may count: a learner's grant (if it sent one) must not be needed.
    const votersOnly = (id: NodeId): boolean => granted.has(id) && (config.incoming.has(id) || config.outgoing.has(id));
    if (!bothMajorities(config, votersOnly)) {
      this.fail(
        'joint/majority election',
        `leader ${node} of term ${term} won without a majority of each half of its voters ` +
          `(in ${[...config.incoming]}, out ${[...config.outgoing]}, granted ${[...granted]})`,
      );
    }
  }

  recordGrant(voter: NodeId, candidate: NodeId, term: Term): void {
    const key = `${term}:${candidate}`;
    let s = this.grants.get(key);
    if (!s) this.grants.set(key, (s = new Set()));
    s.add(voter);
  }

  /** State Machine Safety. */
  recordApply(node: NodeId, e: Entry, fp: string): void {
    this.checks++;
    const known = this.applied.get(e.index);
    if (known === undefined) this.applied.set(e.index, fp);
    else if (known !== fp) this.fail('state machine safety', `node ${node} applied a different entry at index ${e.index}`);
  }

  /** A leader's commit index moved forward. */
  recordCommit(rec: CommitRecord): void {
    if (!this.commit || rec.index > this.commit.index) this.commit = rec;
  }

  /**
   * Durability: the newest committed entry is on durable storage of a majority of each half of
   * the configuration that committed it (a snapshot at or past it counts).
   */
  checkDurable(durablyHas: (node: NodeId, index: Index, term: Term) => boolean): void {
    const c = this.commit;
    if (!c) return;
    this.checks++;
    if (!bothMajorities(c.config, (id) => durablyHas(id, c.index, c.term))) {
      this.fail(
        'committed entries are durable',
        `entry ${c.index} (term ${c.term}) committed by ${c.leader} is no longer durable on a quorum`,
      );
    }
  }
}
