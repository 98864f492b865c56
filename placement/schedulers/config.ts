// What the schedulers are told: one config object shared by all of them (each reads its part),
// with tikv/pd's defaults where PD has the same knob.

import { operatorTimeoutsDefault, type OperatorTimeouts } from '../operator.js';

export type SchedulerName = 'replica-repair' | 'split-checker' | 'hot-region' | 'balance-leader' | 'balance-region' | 'merge-checker';

export interface ScheduleConfig {
  /** Voters each region should have. */
  replicas: number;
  /** Schedulers to run; the runner runs them in its own fixed order whatever the order here. */
  enabled: readonly SchedulerName[];

  /**
   * Balance moves a leader or a region only when the source store has more than
   * max(balanceGapMin, ceil(mean * balanceGapRatio)) more than the target. A gap of 1 can never
   * be closed (a move changes the gap by 2), so balanceGapMin >= 1.
   */
  balanceGapMin: number;
  balanceGapRatio: number;
  /** Moves one balance or hot scheduler proposes per round. */
  balanceBatchMax: number;
  /** A store gets no new peer if it would keep less than this fraction of its capacity free. */
  storeAvailableRatioMin: number;

  /** A region is hot at or above either rate (its leader's report, per second). */
  hotWriteQpsMin: number;
  hotReadQpsMin: number;
  /** A hot region at least this big is split; a smaller one has its leader moved instead. */
  hotSplitBytesMin: number;

  regionSplitBytesMax: number;
  regionSplitKeysMax: number;
  /** Adjacent regions both at or below both limits are merged. */
  regionMergeBytesMax: number;
  regionMergeKeysMax: number;

  operatorsInFlightMax: number;
  /** Operators in flight that add or remove a peer on, or move a leader to, one store. */
  storeOperatorsInFlightMax: number;
  timeouts: OperatorTimeouts;
}

const MiB = 1024 * 1024;

export const scheduleConfigDefault: ScheduleConfig = Object.freeze({
  replicas: 3,
  enabled: Object.freeze(['replica-repair', 'split-checker', 'hot-region', 'balance-leader', 'balance-region', 'merge-checker'] as const),
  balanceGapMin: 1,
  balanceGapRatio: 0.05,
  balanceBatchMax: 4,
  storeAvailableRatioMin: 0.2, // tikv/pd's low-space-ratio 0.8: stores 80% full take no more
  hotWriteQpsMin: 1_000,
  hotReadQpsMin: 5_000,
  hotSplitBytesMin: 48 * MiB, // above 2 * regionMergeBytesMax: see validateScheduleConfig
  regionSplitBytesMax: 96 * MiB, // TiKV's region-split-size
  regionSplitKeysMax: 960_000,
  regionMergeBytesMax: 20 * MiB, // tikv/pd's max-merge-region-size
  regionMergeKeysMax: 200_000,
  operatorsInFlightMax: 64,
  storeOperatorsInFlightMax: 4,
  timeouts: operatorTimeoutsDefault,
});

export class PlacementConfigError extends Error {
  readonly code = 'PlacementConfigInvalid';
  constructor(message: string) {
    super(message);
    this.name = 'PlacementConfigError';
  }
}

/** Throws PlacementConfigError naming the first bad setting. */
export function validateScheduleConfig(c: ScheduleConfig): void {
  const need = (ok: boolean, what: string) => {
    if (!ok) throw new PlacementConfigError(`placement: ${what}`);
  };
  need(Number.isSafeInteger(c.replicas) && c.replicas >= 1, `replicas must be a positive integer, got ${c.replicas}`);
  need(Number.isSafeInteger(c.balanceGapMin) && c.balanceGapMin >= 1, 'balanceGapMin must be an integer >= 1');
  need(c.balanceGapRatio >= 0 && c.balanceGapRatio < 1, 'balanceGapRatio must be in [0, 1)');
  need(Number.isSafeInteger(c.balanceBatchMax) && c.balanceBatchMax >= 1, 'balanceBatchMax must be a positive integer');
  need(c.storeAvailableRatioMin >= 0 && c.storeAvailableRatioMin < 1, 'storeAvailableRatioMin must be in [0, 1)');
  // Two merged regions must not be big enough to split again, or split and merge would chase
  // each other: 2 * 20 MiB < 96 MiB with the defaults.
  need(2 * c.regionMergeBytesMax < c.regionSplitBytesMax, 'regionMergeBytesMax must be under half of regionSplitBytesMax');
  need(2 * c.regionMergeKeysMax < c.regionSplitKeysMax, 'regionMergeKeysMax must be under half of regionSplitKeysMax');
  // The halves of a hot split must be too big to merge, or a hot region that cools down would
  // be merged and split again and again.
  need(c.hotSplitBytesMin > 2 * c.regionMergeBytesMax, 'hotSplitBytesMin must be over twice regionMergeBytesMax');
  need(c.operatorsInFlightMax >= 1 && c.storeOperatorsInFlightMax >= 1, 'operator limits must be >= 1');
}

/** How far apart two stores' counts may be before balance moves something. */
export function balanceTolerance(mean: number, c: ScheduleConfig): number {
  return Math.max(c.balanceGapMin, Math.ceil(mean * c.balanceGapRatio));
}
