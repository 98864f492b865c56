// What each target serves today. A workload a target cannot serve is not run on it (the others
// still run it), and the report prints the reason: a missing feature must show as a gap in the
// table, never as a silent hole or as a column of errors.
//
// Range mode today: put, get and range (across regions too: ordered merge), txn and delete within
// one region. Not yet: watch (created, then canceled with a reason), leases, compaction, txn and
// delete across regions. Every key-value workload here stays within what it serves:
//   txn-cas       one key per txn, so one region
//   preloads      transactions of up to 128 puts, cut at the region boundaries (preload.ts)
//   dataset       puts, gets and ranges (no compaction, no lease)

import type { WorkloadName } from './options.js';
import type { TargetKind } from './targets.js';

const unsupported: Partial<Record<TargetKind, Partial<Record<WorkloadName, string>>>> = {
  'flotilla-range': {
    watch: 'range-mode stores do not serve watches yet (a watch is created, then canceled with a reason; merged per-region watch streams are not built)',
  },
};

/** Why `kind` cannot run `workload` today, or undefined if it can. */
export function skipReason(kind: TargetKind, workload: WorkloadName): string | undefined {
  return unsupported[kind]?.[workload];
}
