// What each target serves today. A workload a target cannot serve is not run on it (the others
// still run it), and the report prints the reason: a missing feature must show as a gap in the
// table, never as a silent hole or as a column of errors.
//
// Range mode today: put, get and range (across regions too: ordered merge), watch (per-region
// feeds merged in revision order, since 9dd72f2), txn and delete within one region. Not yet:
// leases, compaction, txn and delete across regions. Every workload here stays within that:
//   txn-cas       one key per txn, so one region
//   preloads      transactions of up to 128 puts, cut at the region boundaries (preload.ts)
//   dataset       puts, gets and ranges (no compaction, no lease)
// so the table below is empty for range mode; a workload that needs leases or a transaction
// across regions gets its entry here, with the reason the report prints.
//
// Hash mode serves the same (a single key to its slot's group, a range gathered from every group,
// a txn within one group, watch over any range); txn-cas is one key, and the preloads group their
// transactions by slot group (preload.ts), so its table is empty too.

import type { WorkloadName } from './options.js';
import type { TargetKind } from './targets.js';

const unsupported: Partial<Record<TargetKind, Partial<Record<WorkloadName, string>>>> = {
  'flotilla-range': {},
  'flotilla-hash': {},
};

/** Why `kind` cannot run `workload` today, or undefined if it can. */
export function skipReason(kind: TargetKind, workload: WorkloadName): string | undefined {
  return unsupported[kind]?.[workload];
}
