// What the leader knows about one follower's log, and how it sends to it.
//
// States (etcd raft's names):
// - probe: the leader does not know where the logs match; it sends one MsgApp per heartbeat
//   interval and walks `next` back on rejections;
// - replicate: logs match up to `match`; the leader streams entries optimistically, up to the
//   inflight window;
// - snapshot: the follower needs a snapshot; nothing else is sent until it is applied or fails.

import { assert } from '../../util/assert.js';
import type { Index } from '../types.js';
import { Inflights } from './inflights.js';

export type ProgressState = 'probe' | 'replicate' | 'snapshot';

export class Progress {
  /** Highest index known to be replicated on the follower. */
  match: Index;
  /** Next index to send. Invariant: match < next. */
  next: Index;
  state: ProgressState = 'probe';
  /** In snapshot state: the index of the snapshot being sent. */
  pendingSnapshot: Index = 0 as Index;
  /** Heard from since the last check-quorum round. */
  recentActive = false;
  /** The newest leader lease stamp this follower acknowledged (0 = none this term). */
  leaseStamp = 0;
  /** Probe: a message was sent this heartbeat interval (replicate state uses the window). */
  msgAppFlowPaused = false;
  readonly inflights: Inflights;
  isLearner: boolean;

  constructor(opts: { match: Index; next: Index; inflightsMax: number; inflightBytesMax: number; isLearner: boolean }) {
    this.match = opts.match;
    this.next = opts.next;
    this.inflights = new Inflights(opts.inflightsMax, opts.inflightBytesMax);
    this.isLearner = opts.isLearner;
  }

  /** An independent copy (configuration changes work on copies, so a failed change leaves no trace). */
  clone(): Progress {
    const c = new Progress({
      match: this.match,
      next: this.next,
      inflightsMax: this.inflights.sizeMax,
      inflightBytesMax: this.inflights.bytesMax,
      isLearner: this.isLearner,
    });
    c.state = this.state;
    c.pendingSnapshot = this.pendingSnapshot;
    c.recentActive = this.recentActive;
    c.leaseStamp = this.leaseStamp;
    c.msgAppFlowPaused = this.msgAppFlowPaused;
    (c as { inflights: Inflights }).inflights = this.inflights.clone();
    return c;
  }

  toString(): string {
    let s = `${this.state} match=${this.match} next=${this.next}`;
    if (this.isLearner) s += ' learner';
    if (this.isPaused()) s += ' paused';
    if (this.pendingSnapshot > 0) s += ` pendingSnap=${this.pendingSnapshot}`;
    if (!this.recentActive) s += ' inactive';
    if (this.inflights.count > 0) s += ` inflight=${this.inflights.count}`;
    return s;
  }

  private resetState(state: ProgressState): void {
    this.msgAppFlowPaused = false;
    this.pendingSnapshot = 0 as Index;
    this.state = state;
    this.inflights.reset();
  }

  becomeProbe(): void {
    if (this.state === 'snapshot') {
      // The snapshot may have been applied: start probing after it.
      const pending = this.pendingSnapshot;
      this.resetState('probe');
      this.next = Math.max(this.match + 1, pending + 1) as Index;
    } else {
      this.resetState('probe');
      this.next = (this.match + 1) as Index;
    }
  }

  becomeReplicate(): void {
    this.resetState('replicate');
    this.next = (this.match + 1) as Index;
  }

  becomeSnapshot(snapshotIndex: Index): void {
    this.resetState('snapshot');
    this.pendingSnapshot = snapshotIndex;
  }

  /** Book-keeping after sending `entries` entries (of `bytes` payload) starting at `next`. */
  sentEntries(entries: number, bytes: number): void {
    switch (this.state) {
      case 'replicate':
        if (entries > 0) {
          const last = (this.next + entries - 1) as Index;
          this.next = (last + 1) as Index;
          this.inflights.add(last, bytes);
        }
        break;
      case 'probe':
        // One probe per heartbeat interval; an empty probe does not pause so that the first
        // append after becoming leader goes out at once.
        if (entries > 0) this.msgAppFlowPaused = true;
        break;
      default:
        assert(false, `sending append in unhandled state ${this.state}`);
    }
  }

  /** The follower acknowledged up to n. Returns whether match moved forward. */
  maybeUpdate(n: Index): boolean {
    let updated = false;
    if (this.match < n) {
      this.match = n;
      updated = true;
      this.msgAppFlowPaused = false;
    }
    if (this.next < n + 1) this.next = (n + 1) as Index;
    return updated;
  }

  /**
   * The follower rejected an append at `rejected`, hinting that its log may match at
   * `matchHint`. Returns false if the rejection is stale (a reply to an older message).
   */
  maybeDecrTo(rejected: Index, matchHint: Index): boolean {
    if (this.state === 'replicate') {
      // Replies to messages sent before the last match are stale.
      if (rejected <= this.match) return false;
      this.next = (this.match + 1) as Index;
      return true;
    }
    // In probe state only the reply to the latest probe counts.
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1) as Index;
    this.msgAppFlowPaused = false;
    return true;
  }

  isPaused(): boolean {
    switch (this.state) {
      case 'probe':
        return this.msgAppFlowPaused;
      case 'replicate':
        // Derived, not stored: an ack may move match without freeing a slot (e.g. a reply
        // carrying the follower's commit index), and the window must still hold.
        return this.inflights.full();
      case 'snapshot':
        return true;
    }
  }
}
