// PD's region directory in the simulator: the newest state of every region, learned from every
// admin command any peer applies (a perfect region heartbeat), plus PD's ID allocator.
//
// Checked on every update:
//   - a region's epoch only grows; a peer that lags reports an epoch the directory already
//     passed, and is ignored;
//   - same region, same epoch => same state (TiKV's core invariant: the epoch names the shape);
//   - the regions never overlap and together cover the whole key space;
//   - no region has two peers on one store.

import {
  compareKeys,
  epochAtLeast,
  epochEquals,
  type PeerId,
  type Region,
  type RegionId,
} from '../../../src/cluster/region.js';
import { toJson, type AdminResult, type RegionState } from '../../../regions/peer/admin/index.js';
import { showRange } from '../../../regions/peer/region_meta.js';
import { assertNever } from '../../../src/util/assert.js';

export class Directory {
  readonly regions = new Map<RegionId, RegionState>();
  /** Merged-away source -> its state when it merged (frozen: `merging` names the target). */
  readonly merged = new Map<RegionId, RegionState>();
  private nextId = 1;
  updates = 0;

  constructor(private readonly fail: (invariant: string, detail: string) => never) {}

  allocId(): number {
    return this.nextId++;
  }

  get(id: RegionId): RegionState | undefined {
    return this.regions.get(id);
  }

  /** The region holding key. */
  locate(key: Uint8Array): RegionState {
    for (const s of this.regions.values()) {
      const r = s.region;
      if (compareKeys(key, r.start) >= 0 && (r.end.length === 0 || compareKeys(key, r.end) < 0)) return s;
    }
    return this.fail('regions cover the key space', `no region holds key ${toJson(key)}`);
  }

  /** Regions ordered by start key. */
  ordered(): RegionState[] {
    return [...this.regions.values()].sort((a, b) => compareKeys(a.region.start, b.region.start));
  }

  /** The live region a merged-away region's range went into (following merges of merges). */
  mergedInto(id: RegionId): RegionId | undefined {
    let cur = this.merged.get(id)?.merging!.target.id;
    while (cur !== undefined && !this.regions.has(cur)) cur = this.merged.get(cur)?.merging!.target.id;
    return cur;
  }

  /** A region's current state, or its last one if it merged away. */
  latest(id: RegionId): RegionState | undefined {
    return this.regions.get(id) ?? this.merged.get(id);
  }

  bootstrap(state: RegionState): void {
    this.regions.set(state.region.id, state);
    this.check();
  }

  /** A peer of `regionId` applied an admin command with this result. */
  applied(regionId: RegionId, result: AdminResult): void {
    switch (result.type) {
      case 'batch-split':
        if (this.advance(result.derived)) {
          for (const r of result.created) {
            if (this.regions.has(r.id) || this.merged.has(r.id)) this.fail('split creates new regions', `region ${r.id} exists already`);
            this.regions.set(r.id, { region: r });
          }
        }
        break;
      case 'change-peer':
      case 'prepare-merge':
      case 'rollback-merge':
        this.advance(result.state);
        break;
      case 'commit-merge': {
        const src = this.regions.get(result.source.id);
        if (this.advance(result.state)) {
          if (!src || !epochEquals(src.region.epoch, result.source.epoch)) {
            this.fail('merge', `region ${regionId} merged region ${result.source.id} at an epoch PD does not know`);
          }
          this.regions.delete(result.source.id);
          this.merged.set(result.source.id, src);
        }
        break;
      }
      default:
        assertNever(result, 'admin result');
    }
    this.check();
  }

  /** Takes a region's new state if it is newer; false if a lagging peer reported an old one. */
  private advance(next: RegionState): boolean {
    const r = next.region;
    const cur = this.regions.get(r.id);
    if (!cur) {
      if (this.merged.has(r.id)) return false; // a lagging peer of a region merged since
      return this.fail('known regions', `an admin result for region ${r.id}, which PD never heard of`);
    }
    const old = cur.region;
    if (epochEquals(old.epoch, r.epoch)) {
      if (toJson(cur) !== toJson(next)) {
        this.fail('same epoch, same region', `region ${r.id} at ${JSON.stringify(r.epoch)}: ${toJson(cur)} vs ${toJson(next)}`);
      }
      return false;
    }
    if (epochAtLeast(old.epoch, r.epoch)) return false;
    if (!epochAtLeast(r.epoch, old.epoch)) {
      this.fail('epochs only grow', `region ${r.id}: ${JSON.stringify(old.epoch)} then ${JSON.stringify(r.epoch)}`);
    }
    this.regions.set(r.id, next);
    this.updates++;
    return true;
  }

  /** The regions never overlap and cover the whole key space; no two peers on one store. */
  check(): void {
    const rs = this.ordered().map((s) => s.region);
    let prevEnd: Uint8Array | undefined;
    let prev: Region | undefined;
    for (const r of rs) {
      if (prevEnd === undefined) {
        if (r.start.length !== 0) this.fail('regions cover the key space', `the first region ${r.id} starts at ${showRange(r)}`);
      } else if (prevEnd.length === 0 || compareKeys(prevEnd, r.start) !== 0) {
        this.fail('regions neither overlap nor leave gaps', `region ${prev!.id} ${showRange(prev!)} then region ${r.id} ${showRange(r)}`);
      }
      const stores = new Set<number>();
      const ids = new Set<PeerId>();
      for (const p of r.peers) {
        if (stores.has(p.storeId)) this.fail('one peer per store', `region ${r.id} has two peers on store ${p.storeId}`);
        if (ids.has(p.id)) this.fail('one peer per store', `region ${r.id} lists peer ${p.id} twice`);
        stores.add(p.storeId);
        ids.add(p.id);
      }
      prevEnd = r.end;
      prev = r;
    }
    if (prevEnd === undefined || prevEnd.length !== 0) this.fail('regions cover the key space', 'the last region does not reach the end');
  }
}
