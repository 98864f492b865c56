// Auto-compaction (etcd's --auto-compaction-mode / --auto-compaction-retention), run by the
// leader, which proposes an ordinary Compact through Raft.
//
// - revision mode, retention N: every `revisionCheckMs` (etcd: 5 minutes), compact to
//   current - N if that moved since the last compaction.
// - periodic mode, retention T: sample (time, revision) every T/10 (at least 1 s); compact to the
//   newest revision sampled at least T ago. Example: T = 1 h, samples every 6 min: at 10:00
//   the store compacts to the revision it had at 9:00.

import type { AutoCompaction } from '../../src/cli/flags.js';

export const revisionCheckMs = 5 * 60 * 1000;

export class AutoCompactor {
  private nextCheck = 0;
  private lastTarget = 0;
  private readonly samples: Array<{ at: number; rev: number }> = [];

  constructor(private readonly policy: AutoCompaction) {}

  private get enabled(): boolean {
    return this.policy.mode === 'revision' ? this.policy.retentionRevisions > 0 : this.policy.retentionMs > 0;
  }

  /** Called on the leader's ticks: the revision to compact to now, if any. */
  due(now: number, currentRev: number, compactedRev: number): number | undefined {
    if (!this.enabled || now < this.nextCheck) return undefined;
    let target: number;
    if (this.policy.mode === 'revision') {
      this.nextCheck = now + revisionCheckMs;
      target = currentRev - this.policy.retentionRevisions;
    } else {
      const retention = this.policy.retentionMs;
      this.nextCheck = now + Math.max(1000, Math.floor(retention / 10));
      this.samples.push({ at: now, rev: currentRev });
      let found: number | undefined;
      while (this.samples.length > 0 && this.samples[0]!.at <= now - retention) found = this.samples.shift()!.rev;
      if (found === undefined) return undefined;
      target = found;
    }
    if (target <= compactedRev || target <= this.lastTarget || target <= 0) return undefined;
    this.lastTarget = target;
    return target;
  }

  /** A new leader starts sampling afresh (etcd resumes the same way). */
  reset(): void {
    this.samples.length = 0;
    this.nextCheck = 0;
  }
}
