// Computes the configuration (and progress map) that results from a membership change,
// without touching the live tracker: the caller installs the result if it is valid.
//
// Example (joint consensus): voters (1 2 3), change [add 4, remove 1] with transition 'auto':
//   enterJoint -> voters (2 3 4)&&(1 2 3), autoLeave
//   leaveJoint -> voters (2 3 4); progress of 1 is dropped.

import { JointConfig } from '../quorum/joint.js';
import { MajorityConfig } from '../quorum/majority.js';
import { Progress } from '../tracker/progress.js';
import type { ProgressTracker, TrackerConfig } from '../tracker/tracker.js';
import type { ConfChangeSingle, ConfState, Index, NodeId } from '../types.js';

export class ConfChangeError extends Error {
  readonly code = 'RAFT_CONF_CHANGE';
}

interface Work {
  incoming: Set<NodeId>;
  outgoing: Set<NodeId>;
  learners: Set<NodeId>;
  learnersNext: Set<NodeId>;
  autoLeave: boolean;
  progress: Map<NodeId, Progress>;
}

export interface ChangeResult {
  config: TrackerConfig;
  progress: Map<NodeId, Progress>;
}

export class Changer {
  constructor(
    private readonly tracker: ProgressTracker,
    /** The leader's last index: new peers are probed from there. */
    private readonly lastIndex: Index,
  ) {}

  /** Enters a joint configuration: the current voters become the outgoing half. */
  enterJoint(autoLeave: boolean, ccs: ConfChangeSingle[]): ChangeResult {
    const w = this.copy();
    if (w.outgoing.size > 0) throw new ConfChangeError('config is already joint');
    if (w.incoming.size === 0) throw new ConfChangeError("can't make a zero-voter config joint");
    for (const id of w.incoming) w.outgoing.add(id);
    this.apply(w, ccs);
    w.autoLeave = autoLeave;
    return this.finish(w);
  }

  /** Leaves the joint configuration: outgoing-only voters are dropped, learnersNext become learners. */
  leaveJoint(): ChangeResult {
    const w = this.copy();
    if (w.outgoing.size === 0) throw new ConfChangeError("can't leave a non-joint config");
    for (const id of w.learnersNext) {
      w.learners.add(id);
      w.progress.get(id)!.isLearner = true;
    }
    w.learnersNext.clear();
    for (const id of w.outgoing) {
      if (!w.incoming.has(id) && !w.learners.has(id)) w.progress.delete(id);
    }
    w.outgoing.clear();
    w.autoLeave = false;
    return this.finish(w);
  }

  /** Applies changes that alter at most one voter, without a joint configuration. */
  simple(ccs: ConfChangeSingle[]): ChangeResult {
    const w = this.copy();
    if (w.outgoing.size > 0) throw new ConfChangeError("can't apply simple config change in joint config");
    const before = new Set(w.incoming);
    this.apply(w, ccs);
    let changed = 0;
    for (const id of before) if (!w.incoming.has(id)) changed++;
    for (const id of w.incoming) if (!before.has(id)) changed++;
    if (changed > 1) throw new ConfChangeError('more than one voter changed without entering joint config');
    return this.finish(w);
  }

  private apply(w: Work, ccs: ConfChangeSingle[]): void {
    for (const cc of ccs) {
      if (cc.nodeId === 0) continue; // etcd ignores changes naming node 0.
      switch (cc.type) {
        case 'add-node':
          this.makeVoter(w, cc.nodeId);
          break;
        case 'add-learner':
          this.makeLearner(w, cc.nodeId);
          break;
        case 'remove-node':
          this.remove(w, cc.nodeId);
          break;
        default:
          throw new ConfChangeError(`unexpected conf change type ${JSON.stringify(cc)}`);
      }
    }
    if (w.incoming.size === 0) throw new ConfChangeError('removed all voters');
  }

  private makeVoter(w: Work, id: NodeId): void {
    const pr = w.progress.get(id);
    if (!pr) {
      this.initProgress(w, id, false);
      return;
    }
    pr.isLearner = false;
    w.learners.delete(id);
    w.learnersNext.delete(id);
    w.incoming.add(id);
  }

  /**
   * Makes id a learner. A voter of the outgoing half cannot be a learner at the same time, so
   * it is staged in learnersNext and becomes a learner when the joint configuration is left.
   */
  private makeLearner(w: Work, id: NodeId): void {
    const pr = w.progress.get(id);
    if (!pr) {
      this.initProgress(w, id, true);
      return;
    }
    if (pr.isLearner) return;
    this.remove(w, id);
    w.progress.set(id, pr); // remove() may have dropped it; keep the progress.
    if (w.outgoing.has(id)) {
      w.learnersNext.add(id);
    } else {
      pr.isLearner = true;
      w.learners.add(id);
    }
  }

  private remove(w: Work, id: NodeId): void {
    if (!w.progress.has(id)) return;
    w.incoming.delete(id);
    w.learners.delete(id);
    w.learnersNext.delete(id);
    // An outgoing voter still takes part in decisions until the joint configuration is left.
    if (!w.outgoing.has(id)) w.progress.delete(id);
  }

  private initProgress(w: Work, id: NodeId, isLearner: boolean): void {
    if (isLearner) w.learners.add(id);
    else w.incoming.add(id);
    const pr = new Progress({
      match: 0 as Index,
      // Probe the new peer from our last index: if it is empty it rejects, and we walk back.
      next: Math.max(this.lastIndex, 1) as Index,
      inflightsMax: this.tracker.inflightsMax,
      inflightBytesMax: this.tracker.inflightBytesMax,
      isLearner,
    });
    // A new peer counts as active, so check-quorum does not depose the leader right away.
    pr.recentActive = true;
    w.progress.set(id, pr);
  }

  private copy(): Work {
    const c = this.tracker.config;
    const progress = new Map<NodeId, Progress>();
    for (const [id, pr] of this.tracker.progress) progress.set(id, pr.clone());
    return {
      incoming: new Set(c.voters.incoming.ids),
      outgoing: new Set(c.voters.outgoing.ids),
      learners: new Set(c.learners),
      learnersNext: new Set(c.learnersNext),
      autoLeave: c.autoLeave,
      progress,
    };
  }

  private finish(w: Work): ChangeResult {
    return finishWork(w);
  }
}

function checkConfig(w: Work): void {
  for (const id of [...w.incoming, ...w.outgoing]) {
    if (!w.progress.has(id)) throw new ConfChangeError(`no progress for voter ${id}`);
  }
  for (const id of w.learners) {
    if (!w.progress.has(id)) throw new ConfChangeError(`no progress for learner ${id}`);
    if (w.outgoing.has(id)) throw new ConfChangeError(`${id} is in learners and outgoing voters`);
    if (w.incoming.has(id)) throw new ConfChangeError(`${id} is in learners and voters`);
    if (!w.progress.get(id)!.isLearner) throw new ConfChangeError(`${id} is in learners, but is not marked as learner`);
  }
  for (const id of w.learnersNext) {
    if (!w.outgoing.has(id)) throw new ConfChangeError(`${id} is in learners_next, but not in outgoing voters`);
    if (w.progress.get(id)!.isLearner) throw new ConfChangeError(`${id} is in learners_next, but is already marked as learner`);
  }
  if (w.outgoing.size === 0) {
    if (w.learnersNext.size > 0) throw new ConfChangeError('learners_next must be empty when not joint');
    if (w.autoLeave) throw new ConfChangeError('autoLeave must be false when not joint');
  }
}

/**
 * Builds the configuration described by a ConfState (from a snapshot or from storage at start).
 * Every peer gets a fresh Progress starting at `lastIndex`.
 */
export function restoreConfig(tracker: ProgressTracker, cs: ConfState, lastIndex: Index): ChangeResult {
  const w: Work = {
    incoming: new Set(cs.voters),
    outgoing: new Set(cs.votersOutgoing),
    learners: new Set(cs.learners),
    learnersNext: new Set(cs.learnersNext),
    autoLeave: cs.autoLeave,
    progress: new Map(),
  };
  const all = new Set<NodeId>([...cs.voters, ...cs.votersOutgoing, ...cs.learners, ...cs.learnersNext]);
  for (const id of [...all].sort((a, b) => a - b)) {
    const pr = new Progress({
      match: 0 as Index,
      next: Math.max(lastIndex, 1) as Index,
      inflightsMax: tracker.inflightsMax,
      inflightBytesMax: tracker.inflightBytesMax,
      isLearner: w.learners.has(id),
    });
    pr.recentActive = true;
    w.progress.set(id, pr);
  }
  return finishWork(w);
}

/** Validates the work and packs it as a tracker configuration with its progress map. */
function finishWork(w: Work): ChangeResult {
  checkConfig(w);
  return {
    config: {
      voters: new JointConfig(new MajorityConfig(w.incoming), new MajorityConfig(w.outgoing)),
      autoLeave: w.autoLeave,
      learners: w.learners,
      learnersNext: w.learnersNext,
    },
    progress: w.progress,
  };
}
