// The leader's view of the group: the active configuration, every peer's Progress, and the
// votes of the election in progress.

import { assert } from '../../util/assert.js';
import { JointConfig } from '../quorum/joint.js';
import { MajorityConfig, type VoteResult } from '../quorum/majority.js';
import type { ConfState, Index, NodeId } from '../types.js';
import { Progress } from './progress.js';

export interface TrackerConfig {
  voters: JointConfig;
  /** Leave the joint configuration automatically (see ConfState.autoLeave). */
  autoLeave: boolean;
  learners: ReadonlySet<NodeId>;
  /** Outgoing voters that become learners when the joint configuration is left. */
  learnersNext: ReadonlySet<NodeId>;
}

export function emptyTrackerConfig(): TrackerConfig {
  return { voters: new JointConfig(), autoLeave: false, learners: new Set(), learnersNext: new Set() };
}

export function confStateOf(c: TrackerConfig): ConfState {
  return {
    voters: c.voters.incoming.sorted(),
    votersOutgoing: c.voters.outgoing.sorted(),
    learners: [...c.learners].sort((a, b) => a - b),
    learnersNext: [...c.learnersNext].sort((a, b) => a - b),
    autoLeave: c.autoLeave,
  };
}

export function configToString(c: TrackerConfig): string {
  let s = `voters=${c.voters}`;
  if (c.learners.size > 0) s += ` learners=(${[...c.learners].sort((a, b) => a - b).join(' ')})`;
  if (c.learnersNext.size > 0) s += ` learners_next=(${[...c.learnersNext].sort((a, b) => a - b).join(' ')})`;
  if (c.autoLeave) s += ' autoleave';
  return s;
}

export class ProgressTracker {
  config: TrackerConfig = emptyTrackerConfig();
  progress: Map<NodeId, Progress> = new Map();
  votes: Map<NodeId, boolean> = new Map();
  /** Peer ids in ascending order, so every walk over them is deterministic. */
  private ids: NodeId[] = [];

  constructor(
    readonly inflightsMax: number,
    readonly inflightBytesMax: number,
  ) {}

  /** Installs a configuration and its progress map (as computed by the Changer). */
  setConfig(config: TrackerConfig, progress: Map<NodeId, Progress>): void {
    this.config = config;
    this.progress = progress;
    this.ids = [...progress.keys()].sort((a, b) => a - b);
  }

  confState(): ConfState {
    return confStateOf(this.config);
  }

  /** A single voter and nobody else: that voter decides alone. */
  isSingleton(): boolean {
    return this.config.voters.incoming.size === 1 && !this.config.voters.isJoint();
  }

  /** The largest index that the voters' quorum has persisted. */
  committed(): Index {
    return this.config.voters.committedIndex((id) => this.progress.get(id)?.match);
  }

  /** Calls f for every peer (voters and learners) in ascending id order. */
  visit(f: (id: NodeId, pr: Progress) => void): void {
    for (const id of this.ids) f(id, this.progress.get(id)!);
  }

  /** Whether a quorum of voters was active since the last check (recentActive). */
  quorumActive(): boolean {
    const votes = new Map<NodeId, boolean>();
    this.visit((id, pr) => {
      if (!pr.isLearner) votes.set(id, pr.recentActive);
    });
    return this.config.voters.voteResult(votes) === 'won';
  }

  voterNodes(): NodeId[] {
    return [...this.config.voters.ids()].sort((a, b) => a - b);
  }

  learnerNodes(): NodeId[] {
    return [...this.config.learners].sort((a, b) => a - b);
  }

  resetVotes(): void {
    this.votes = new Map();
  }

  /** Records a vote; only the first vote of each peer counts. */
  recordVote(id: NodeId, granted: boolean): void {
    if (!this.votes.has(id)) this.votes.set(id, granted);
  }

  tallyVotes(): { granted: number; rejected: number; result: VoteResult } {
    let granted = 0;
    let rejected = 0;
    for (const [id, pr] of this.progress) {
      if (pr.isLearner) continue;
      const v = this.votes.get(id);
      if (v === undefined) continue;
      if (v) granted++;
      else rejected++;
    }
    return { granted, rejected, result: this.config.voters.voteResult(this.votes) };
  }

  /** Checks the invariants that tie config and progress together. */
  checkInvariants(): void {
    const voters = this.config.voters.ids();
    for (const id of voters) assert(this.progress.has(id), `no progress for voter ${id}`);
    for (const id of this.config.learners) {
      assert(this.progress.has(id), `no progress for learner ${id}`);
      assert(!this.config.voters.outgoing.has(id), `${id} is in learners and outgoing voters`);
      assert(!this.config.voters.incoming.has(id), `${id} is in learners and incoming voters`);
    }
    for (const id of this.config.learnersNext) {
      assert(this.progress.has(id), `no progress for learner-next ${id}`);
      assert(this.config.voters.outgoing.has(id), `${id} is in learners_next but not in outgoing voters`);
    }
    for (const [id, pr] of this.progress) {
      assert(voters.has(id) || this.config.learners.has(id) || this.config.learnersNext.has(id), `progress for ${id} that is not in the config`);
      assert(pr.isLearner === this.config.learners.has(id), `progress of ${id}: isLearner=${pr.isLearner} disagrees with config`);
    }
    if (!this.config.voters.isJoint()) {
      assert(this.config.learnersNext.size === 0, 'learners_next outside a joint config');
      assert(!this.config.autoLeave, 'autoLeave outside a joint config');
    }
  }
}

export { MajorityConfig };
