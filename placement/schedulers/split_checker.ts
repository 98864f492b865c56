// Split checker: a region past regionSplitBytesMax or regionSplitKeysMax is split where its
// store finds the middle of its size ('approximate'). The store also checks sizes itself as it
// writes (as TiKV's split-check does); this is PD's backstop, from the sizes in heartbeats.
//
// Worked example, limits 96 MiB / 960 000 keys: a region of 100 MiB and 10 000 keys splits (size);
// one of 50 MiB and 1 000 000 keys splits (keys); one of 96 MiB exactly does not.
//
// Hash-mode groups own slots, not a key range, and move slots instead of splitting: skipped.

import type { ClusterSnapshot } from '../cluster.js';
import { newOperator, type Operator } from '../operator.js';
import type { ScheduleConfig } from './config.js';
import type { ScheduleEnv } from './scheduler.js';

export function splitChecker(snapshot: ClusterSnapshot, c: ScheduleConfig, env: ScheduleEnv): Operator[] {
  const ops: Operator[] = [];
  for (const info of snapshot.regionsInKeyOrder) {
    if (info.leader === undefined || env.isBusy(info.region.id)) continue;
    const tooBig = info.approximateBytes > c.regionSplitBytesMax;
    const tooManyKeys = info.approximateKeys > c.regionSplitKeysMax;
    if (!tooBig && !tooManyKeys) continue;
    ops.push(
      newOperator({
        info,
        kind: 'split',
        desc: `split region ${info.region.id}: ${tooBig ? `${info.approximateBytes} bytes` : `${info.approximateKeys} keys`}`,
        steps: [{ type: 'SplitRegion', keys: 'approximate' }],
        nowMs: snapshot.nowMs,
        timeouts: c.timeouts,
      }),
    );
  }
  return ops;
}
