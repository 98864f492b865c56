// A store's view of its regions: for every initialized peer on the store, the state of its region
// as of that peer's applied index (TiKV's StoreMeta: `regions` and `region_ranges`). It changes
// only through admin results its own peers apply, snapshots they install, and peers it destroys.
//
// Invariants, asserted on every change and by checkInvariants():
//   - every region names exactly one peer on this store; its peers sit on distinct stores and
//     have distinct IDs;
//   - ranges are well formed, and no two regions overlap (a store never holds two copies of a key);
//   - while a region stays here its epoch only grows, in both halves.
//
// Peers that exist but are not initialized (created by a Raft message, waiting for a snapshot or
// for their parent's split) have no range yet and are not in the meta.
//
// Worked example (store 1, peers of regions 1 and 2):
//   [""  --------- region 1 ---------- "")        before
//   ["" - region 2 - "g") ["g" - region 1 - "")   after region 1's peer applies a split at "g"
//   a snapshot of region 3 = ["c", "e") arriving now is refused: it overlaps region 2 here,
//   which is not merging into region 3 (this store's peer of region 2 may just lag behind a
//   split that created region 3; it catches up, and the leader of 3 sends the snapshot again).

import {
  compareKeys,
  epochAtLeast,
  epochEquals,
  showKey,
  type Region,
  type RegionId,
  type RegionPeer,
  type StoreId,
} from '../../src/cluster/region.js';
import { assert, assertNever } from '../../src/util/assert.js';
import { cloneState, type AdminResult, type RegionState } from './admin/command.js';

/** What applying an admin result did to the store besides updating the region itself. */
export interface ApplyEffects {
  /** New regions whose peers on this store are now initialized (by a split). */
  created: Region[];
  /** New regions of a split whose local peer must not be created (the caller said so). */
  skipped: Region[];
  /** Regions whose local peer is gone (a merged source). */
  destroyed: RegionId[];
  /** The applying peer itself was removed from its region. */
  removedSelf: boolean;
}

export type SnapshotVerdict = { ok: true; destroy: RegionId[] } | { ok: false; reason: string };

/** Whether [s1, e1) and [s2, e2) meet (an empty end is unbounded). */
export function rangesOverlap(s1: Uint8Array, e1: Uint8Array, s2: Uint8Array, e2: Uint8Array): boolean {
  return (e1.length === 0 || compareKeys(s2, e1) < 0) && (e2.length === 0 || compareKeys(s1, e2) < 0);
}

export function showRange(r: Region): string {
  return `[${showKey(r.start)}, ${showKey(r.end)})`;
}

export class StoreRegionMeta {
  private readonly states = new Map<RegionId, RegionState>();

  constructor(readonly storeId: StoreId) {}

  get size(): number {
    return this.states.size;
  }

  get(id: RegionId): RegionState | undefined {
    return this.states.get(id);
  }

  has(id: RegionId): boolean {
    return this.states.has(id);
  }

  /** Every region, ordered by start key. */
  all(): RegionState[] {
    return [...this.states.values()].sort((a, b) => compareKeys(a.region.start, b.region.start));
  }

  /** This store's peer of region id. */
  localPeer(id: RegionId): RegionPeer | undefined {
    return this.states.get(id)?.region.peers.find((p) => p.storeId === this.storeId);
  }

  /** The region whose range holds key, if this store has one. */
  locate(key: Uint8Array): RegionState | undefined {
    for (const s of this.states.values()) {
      const r = s.region;
      if (compareKeys(key, r.start) >= 0 && (r.end.length === 0 || compareKeys(key, r.end) < 0)) return s;
    }
    return undefined;
  }

  /** Regions meeting [start, end), other than `except`. */
  overlapping(start: Uint8Array, end: Uint8Array, except?: RegionId): RegionState[] {
    const out: RegionState[] = [];
    for (const s of this.states.values()) {
      if (s.region.id !== except && rangesOverlap(start, end, s.region.start, s.region.end)) out.push(s);
    }
    return out;
  }

  /** A peer of a region becomes initialized here (bootstrap, split, snapshot). */
  insert(state: RegionState): void {
    assert(!this.states.has(state.region.id), `store ${this.storeId} already has region ${state.region.id}`);
    this.checkShape(state.region);
    this.checkNoOverlap(state.region);
    this.states.set(state.region.id, cloneState(state));
  }

  /** The region's state moves forward (its epoch may not go back). */
  update(state: RegionState): void {
    const old = this.states.get(state.region.id);
    assert(old, `store ${this.storeId} updates region ${state.region.id} it does not have`);
    assert(
      epochAtLeast(state.region.epoch, old.region.epoch),
      `region ${state.region.id} epoch goes back on store ${this.storeId}: ` +
        `${JSON.stringify(old.region.epoch)} -> ${JSON.stringify(state.region.epoch)}`,
    );
    this.checkShape(state.region);
    this.checkNoOverlap(state.region);
    this.states.set(state.region.id, cloneState(state));
  }

  remove(id: RegionId): RegionState {
    const s = this.states.get(id);
    assert(s, `store ${this.storeId} removes region ${id} it does not have`);
    this.states.delete(id);
    return s;
  }

  /**
   * Applies what this store's peer of `regionId` got from applying an admin command.
   * `createNew` decides, for each region a split creates, whether its local peer is created
   * (a store refuses one whose peer it already destroyed: it was removed from the new region
   * before this store's parent peer caught up with the split).
   */
  applyResult(regionId: RegionId, result: AdminResult, createNew: (r: Region) => boolean = () => true): ApplyEffects {
    const fx: ApplyEffects = { created: [], skipped: [], destroyed: [], removedSelf: false };
    switch (result.type) {
      case 'batch-split':
        // Narrow the parent first, so the new regions fit beside it.
        this.update(result.derived);
        for (const r of result.created) {
          if (createNew(r)) {
            this.insert({ region: r });
            fx.created.push(r);
          } else {
            fx.skipped.push(r);
          }
        }
        break;
      case 'change-peer':
        if (result.state.region.peers.some((p) => p.storeId === this.storeId)) {
          this.update(result.state);
        } else {
          this.remove(regionId);
          fx.removedSelf = true;
        }
        break;
      case 'prepare-merge':
      case 'rollback-merge':
        this.update(result.state);
        break;
      case 'commit-merge': {
        const src = this.states.get(result.source.id);
        assert(
          src && src.merging?.target.id === regionId && epochEquals(src.region.epoch, result.source.epoch),
          `store ${this.storeId}: commit-merge of region ${result.source.id} into ${regionId} while the local source ` +
            (src ? `is at ${JSON.stringify(src.region.epoch)} ${src.merging ? 'merging' : 'not merging'}` : 'is missing'),
        );
        this.remove(result.source.id);
        fx.destroyed.push(result.source.id);
        this.update(result.state);
        break;
      }
      default:
        assertNever(result, 'admin result');
    }
    return fx;
  }

  /**
   * Whether a snapshot holding `incoming` may be installed for this store's peer of that region,
   * given snapshots already accepted but not yet installed (`pending`). It may if every region
   * here that overlaps it is a source merging into it (the snapshot already holds that source's
   * data: its range covers it only after the commit-merge); those peers are then destroyed.
   * Anything else overlapping is refused: the other peer may just lag (it catches up, the leader
   * retries), or be stale (PD removes it).
   *
   * NB: a source peer that lags may still sit in an earlier merge attempt that was rolled back
   * since; locally that looks the same. The store confirms each region to destroy with PD (that
   * source did merge, into this region, from the state the local peer is in) before it accepts.
   */
  checkSnapshot(incoming: RegionState, pending: Region[] = []): SnapshotVerdict {
    const r = incoming.region;
    const same = this.states.get(r.id);
    if (same && !epochAtLeast(r.epoch, same.region.epoch)) {
      return { ok: false, reason: `snapshot of region ${r.id} at ${JSON.stringify(r.epoch)} is older than the local one` };
    }
    const destroy: RegionId[] = [];
    for (const s of this.overlapping(r.start, r.end, r.id)) {
      const m = s.merging;
      if (m && m.target.id === r.id && r.epoch.version > m.target.epoch.version) {
        destroy.push(s.region.id);
        continue;
      }
      return { ok: false, reason: `snapshot of region ${r.id} ${showRange(r)} overlaps region ${s.region.id} ${showRange(s.region)}` };
    }
    for (const p of pending) {
      if (p.id !== r.id && rangesOverlap(r.start, r.end, p.start, p.end)) {
        return { ok: false, reason: `snapshot of region ${r.id} overlaps a pending snapshot of region ${p.id}` };
      }
    }
    return { ok: true, destroy };
  }

  /** Installs a snapshot's region state; returns the merged sources it destroyed. */
  installSnapshot(incoming: RegionState): RegionId[] {
    const v = this.checkSnapshot(incoming);
    assert(v.ok, `store ${this.storeId} installs a snapshot it should have refused: ${v.ok ? '' : v.reason}`);
    for (const id of v.destroy) this.remove(id);
    if (this.states.has(incoming.region.id)) this.update(incoming);
    else this.insert(incoming);
    return v.destroy;
  }

  /** Checks every invariant over the whole meta (the simulator calls it after every step). */
  checkInvariants(): void {
    const sorted = this.all();
    for (let i = 0; i < sorted.length; i++) {
      const r = sorted[i]!.region;
      this.checkShape(r);
      if (i > 0) {
        const prev = sorted[i - 1]!.region;
        assert(
          prev.end.length > 0 && compareKeys(prev.end, r.start) <= 0,
          `store ${this.storeId}: region ${prev.id} ${showRange(prev)} overlaps region ${r.id} ${showRange(r)}`,
        );
      }
    }
  }

  private checkShape(r: Region): void {
    assert(r.end.length === 0 || compareKeys(r.start, r.end) < 0, `region ${r.id} has an empty range ${showRange(r)}`);
    const stores = new Set<StoreId>();
    const ids = new Set<number>();
    for (const p of r.peers) {
      assert(!stores.has(p.storeId), `region ${r.id} has two peers on store ${p.storeId}`);
      assert(!ids.has(p.id), `region ${r.id} has peer ${p.id} twice`);
      stores.add(p.storeId);
      ids.add(p.id);
    }
    assert(stores.has(this.storeId), `store ${this.storeId} holds region ${r.id} that has no peer on it`);
    assert(r.peers.some((p) => p.role === 'voter'), `region ${r.id} has no voter`);
  }

  private checkNoOverlap(r: Region): void {
    const other = this.overlapping(r.start, r.end, r.id)[0];
    assert(
      other === undefined,
      `store ${this.storeId}: region ${r.id} ${showRange(r)} would overlap region ${other?.region.id} ${other ? showRange(other.region) : ''}`,
    );
  }
}
