// The timestamp oracle (TSO): one global order of revisions for the sharded modes.
//
//   ts = physicalMs * 2^12 + logical        physicalMs: ms since the cluster's epoch (a unix time
//                                           fixed at bootstrap); logical in [0, 4096)
//
// A timestamp is a plain integer, so "count consecutive timestamps" are consecutive integers and
// a batch may cross a millisecond: allocate(3) right after (p, 4094) returns (p, 4095) and hands
// out (p, 4095), (p+1, 0), (p+1, 1). That is also the logical overflow rule: 4096 timestamps in
// one ms move the physical part one ms ahead of the clock, and the clock catches up later.
// Batches are capped at allocateCountMax (16 ms worth) so timestamps never run far ahead.
//
// Worked example, epoch 1_700_000_000_000 (unix ms), clock 1_700_000_000_005:
//   physical 5, first ts 5 * 4096 = 20480. Another allocate(1) in the same ms gives 20481.
//   The clock jumps back to ...0_002: physical would be 2, but the oracle never goes back and
//   hands out 20482.
//
// Across restarts and PD leader changes (as tikv/pd does): before handing out a timestamp whose
// physical part is p, the oracle has saved a window end W > p. A new leader loads W and starts at
// W * 4096, above everything the old one could hand out, even if its own clock is behind.
//   save W = now + 3000 -> hand out timestamps with physical < W -> when the clock nears W,
//   save a new W (ahead of time through extendWindowIfLow, or on demand inside allocate).
// Physical ms stay below 2^41 (about 69 years after the epoch) so every ts is below 2^53 and
// revisions stay plain numbers; reaching that is asserted, not handled.

import { assert } from '../src/util/assert.js';
import { PersistedBound, type SaveBound } from './persisted_bound.js';

export type Timestamp = number & { readonly __brand: 'Timestamp' };

export const logicalBits = 12;
/** Logical timestamps per physical ms. */
export const logicalCount = 1 << logicalBits;
/** Exclusive bound on the physical part: ts < 2^41 * 2^12 = 2^53. */
export const physicalMsMax = 2 ** (53 - logicalBits);
/** Largest batch one allocate may return: 16 ms of logical time. */
export const allocateCountMax = 16 * logicalCount;
/** How far ahead of the clock each saved window reaches (tikv/pd saves now + 3 s). */
export const windowMsDefault = 3_000;
/** extendWindowIfLow saves a new window when less than this is left (tikv/pd: its update interval, with margin). */
export const windowRefreshMsDefault = 1_000;

export function composeTimestamp(physicalMs: number, logical: number): Timestamp {
  assert(Number.isSafeInteger(physicalMs) && physicalMs >= 0 && physicalMs < physicalMsMax, `bad physical ms ${physicalMs}`);
  assert(Number.isSafeInteger(logical) && logical >= 0 && logical < logicalCount, `bad logical ${logical}`);
  return (physicalMs * logicalCount + logical) as Timestamp;
}

export function timestampPhysicalMs(ts: number): number {
  return Math.floor(ts / logicalCount);
}

export function timestampLogical(ts: number): number {
  return ts % logicalCount;
}

/** A caller's mistake (a bad count), as opposed to an assertion, which is ours. */
export class TsoError extends Error {
  constructor(
    readonly code: 'TsoCountInvalid',
    message: string,
  ) {
    super(message);
    this.name = 'TsoError';
  }
}

export interface TimestampOracleOptions {
  /** Unix ms; read on every allocation. May jump back: the oracle never does. */
  clock: () => number;
  /** Unix ms of physical 0, fixed when the cluster was bootstrapped. */
  epochMs: number;
  /** The window end (physical ms) loaded from storage; undefined for a cluster that never had one. */
  savedWindowEndMs: number | undefined;
  /** Persists a window end (physical ms); see SaveBound for its contract on leadership. */
  save: SaveBound;
  windowMs?: number;
  windowRefreshMs?: number;
}

export class TimestampOracle {
  private readonly clock: () => number;
  private readonly epochMs: number;
  private readonly window: PersistedBound;
  private readonly windowMs: number;
  private readonly windowRefreshMs: number;
  /** The largest timestamp handed out, or the one just below where this leader starts. */
  private lastTs: number;

  constructor(opts: TimestampOracleOptions) {
    const loaded = opts.savedWindowEndMs ?? 0;
    assert(Number.isSafeInteger(opts.epochMs), `bad epoch ${opts.epochMs}`);
    assert(loaded >= 0 && loaded <= physicalMsMax, `bad saved window ${loaded}`);
    this.clock = opts.clock;
    this.epochMs = opts.epochMs;
    this.window = new PersistedBound(loaded, opts.save);
    this.windowMs = opts.windowMs ?? windowMsDefault;
    this.windowRefreshMs = opts.windowRefreshMs ?? windowRefreshMsDefault;
    assert(this.windowMs > 0 && this.windowRefreshMs > 0 && this.windowRefreshMs < this.windowMs, 'bad TSO window sizes');
    // Timestamp 0 is never handed out: etcd revisions start at 1.
    this.lastTs = Math.max(0, loaded * logicalCount - 1);
  }

  /** The saved window end, in physical ms: every timestamp handed out has a smaller physical part. */
  get windowEndMs(): number {
    return this.window.value;
  }

  /**
   * The first of `count` consecutive timestamps, all strictly above every timestamp this oracle
   * and every earlier PD leader handed out. Waits for a save only when the window is used up.
   * Throws TsoError TsoCountInvalid unless 1 <= count <= allocateCountMax.
   */
  async allocate(count: number): Promise<Timestamp> {
    if (!Number.isSafeInteger(count) || count < 1 || count > allocateCountMax) {
      throw new TsoError('TsoCountInvalid', `tso: count must be an integer in [1, ${allocateCountMax}], got ${count}`);
    }
    for (;;) {
      // Recomputed after every await: other callers may have allocated meanwhile.
      const first = Math.max(this.lastTs + 1, this.physicalNow() * logicalCount);
      const last = first + count - 1;
      const lastPhysical = timestampPhysicalMs(last);
      assert(lastPhysical < physicalMsMax, `tso: physical ms ${lastPhysical} reached 2^41: timestamps would pass 2^53`);
      if (lastPhysical < this.window.value) {
        this.lastTs = last;
        return first as Timestamp;
      }
      await this.window.raiseTo(Math.min(physicalMsMax, lastPhysical + this.windowMs));
    }
  }

  /**
   * Saves a new window when less than windowRefreshMs of it is left, so allocate rarely waits.
   * The PD leader calls it on a timer (tikv/pd: every 50 ms).
   */
  async extendWindowIfLow(): Promise<void> {
    const base = Math.max(this.physicalNow(), timestampPhysicalMs(this.lastTs));
    if (this.window.value - base >= this.windowRefreshMs) return;
    await this.window.raiseTo(Math.min(physicalMsMax, base + this.windowMs));
  }

  private physicalNow(): number {
    // A clock before the epoch (badly set) counts as the epoch: lastTs keeps the order.
    return Math.max(0, Math.floor(this.clock() - this.epochMs));
  }
}
