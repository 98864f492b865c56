// The shape every scheduler has: a pure function from a frozen snapshot to operators. Besides
// the snapshot and config it gets what purity requires as parameters: randomness, a source of
// fresh peer IDs, and what the runner already committed to (regions with an operator in flight,
// stores at their operator limit), so it does not plan moves that would be thrown away.

import type { Rand } from '../../src/util/prng.js';
import type { RegionId, StoreId } from '../../src/cluster/region.js';
import type { ClusterSnapshot } from '../cluster.js';
import type { IdSource } from '../id_alloc.js';
import type { Operator } from '../operator.js';
import type { ScheduleConfig } from './config.js';

export interface ScheduleEnv {
  rand: Rand;
  /** Peer IDs for AddLearner steps; a scheduler skips a move when none is ready. */
  ids: IdSource;
  /** The region is held by an operator (in flight, or accepted earlier this round). */
  isBusy(regionId: RegionId): boolean;
  /** Another operator may touch this store (add or remove a peer, take a leader). */
  storeHasRoom(storeId: StoreId): boolean;
}

export type Scheduler = (snapshot: ClusterSnapshot, config: ScheduleConfig, env: ScheduleEnv) => Operator[];
