// The driver plays PD: it starts operators (split, merge, replica move, leader transfer), steps
// them along as the directory reports their results, and removes stale peers.
//
// An operator proposes its next step at the region's current leader and re-proposes it when
// nothing happened for a while (proposals get lost with leaders). Re-proposing is safe because
// every step carries the epoch it was planned at: if an earlier copy applied, the epoch moved
// and the copy is refused.
//
//   move:  add-learner on a store without a peer -> learner caught up -> promote-learner ->
//          remove-peer of an old voter (leadership moved away from it first)
//   merge: prepare-merge at the source -> every source peer applied it -> commit-merge at the
//          target -> done when PD drops the source; or, if the target's epoch moved since the
//          source froze (so commit-merge can never apply), rollback-merge at the source.
//          A merge is never abandoned once prepared; a source found frozen without an operator
//          (an old prepare that committed late) is adopted.
//
// Stale peers (PD's peer validation, as TiKV's stores ask PD about peers that hear no leader): a
// peer whose region no longer lists it, at a newer confVer, is destroyed; so is an uninitialized
// one its region does not list; and the peer of a merged-away source once no peer of the target
// on its store can still need its data (mergedSourceStale).

import { epochEquals, type PeerId, type Region, type RegionId, type RegionPeer, type StoreId } from '../../../src/cluster/region.js';
import { cloneRegion, storesMismatch, type AdminCommand, type RegionState } from '../../../regions/peer/admin/index.js';
import { assertNever } from '../../../src/util/assert.js';
import type { World } from '../world.js';
import type { MultiRaft } from './cluster.js';
import { keyBytes, type SimStore } from './store.js';

type MoveStep = 'add' | 'catch-up' | 'promote' | 'remove';
type MergeStep = 'prepare' | 'wait' | 'commit' | 'rollback';

type Operator =
  | { kind: 'move'; regionId: RegionId; step: MoveStep; learner: RegionPeer; victim?: PeerId; started: number; proposedAt: number }
  | { kind: 'merge'; source: RegionId; target: RegionId; step: MergeStep; started: number; proposedAt: number };

export interface DriverStats {
  splitsProposed: number;
  movesStarted: number;
  movesDone: number;
  movesAbandoned: number;
  mergesStarted: number;
  mergesDone: number;
  rollbacks: number;
  transfers: number;
  staleDestroyed: number;
}

const reproposeTicks = 15;
const moveTicksMax = 300;
const prepareTicksMax = 100;

export class Driver {
  private ops: Operator[] = [];
  readonly stats: DriverStats = {
    splitsProposed: 0,
    movesStarted: 0,
    movesDone: 0,
    movesAbandoned: 0,
    mergesStarted: 0,
    mergesDone: 0,
    rollbacks: 0,
    transfers: 0,
    staleDestroyed: 0,
  };

  constructor(
    private readonly c: MultiRaft,
    private readonly world: World,
    private readonly keys: readonly string[],
  ) {}

  /** Whether an operator holds the region (a merge holds its target too). */
  private busy(id: RegionId): boolean {
    return this.ops.some((o) => (o.kind === 'move' ? o.regionId === id : o.source === id || o.target === id));
  }

  get idle(): boolean {
    return this.ops.length === 0;
  }

  /** Regions operators hold. */
  held(): RegionId[] {
    return this.ops.flatMap((o) => (o.kind === 'move' ? [o.regionId] : [o.source, o.target]));
  }

  describe(): string {
    return this.ops.map((o) => (o.kind === 'move' ? `move ${o.regionId} ${o.step}` : `merge ${o.source}->${o.target} ${o.step}`)).join(', ');
  }

  tick(now: number, chaos: boolean): void {
    this.adoptOrphans(now);
    for (const op of [...this.ops]) {
      if (op.kind === 'move') this.stepMove(op, now);
      else this.stepMerge(op, now);
    }
    this.collectStale();
    if (!chaos) return;
    const r = this.world.rand;
    const regions = this.c.pd.regions.size;
    if (r.chance(regions < 6 ? 0.08 : 0.02)) this.startSplit();
    if (r.chance(regions > 3 ? 0.05 : 0.01)) this.startMerge(now);
    if (r.chance(0.03)) this.startMove(now);
    if (r.chance(0.03)) this.transferRandom();
  }

  // -------------------------------------------------------------------------------------------
  // Starting operators.

  private freeRegions(): RegionState[] {
    return this.c.pd.ordered().filter((s) => !this.busy(s.region.id) && !s.merging);
  }

  private startSplit(): void {
    const free = this.freeRegions();
    if (free.length === 0) return;
    const st = free[this.world.rand.int(free.length)]!;
    const r = st.region;
    const inside = this.keys.filter((k) => {
      const kb = keyBytes(k);
      return Buffer.compare(kb, r.start) > 0 && (r.end.length === 0 || Buffer.compare(kb, r.end) < 0);
    });
    if (inside.length === 0) return;
    const n = Math.min(inside.length, 1 + this.world.rand.int(2));
    const picked = new Set<string>();
    while (picked.size < n) picked.add(inside[this.world.rand.int(inside.length)]!);
    const splitKeys = [...picked].sort().map(keyBytes);
    const cmd: AdminCommand = {
      type: 'batch-split',
      epoch: { ...r.epoch },
      splitKeys,
      newRegions: splitKeys.map(() => ({
        id: this.c.pd.allocId() as RegionId,
        peerIds: r.peers.map(() => this.c.pd.allocId() as PeerId),
      })),
    };
    if (this.propose(r.id, cmd)) this.stats.splitsProposed++;
  }

  private startMerge(now: number): void {
    const all = this.c.pd.ordered();
    const pairs: Array<[RegionState, RegionState]> = [];
    for (let i = 0; i + 1 < all.length; i++) {
      const a = all[i]!;
      const b = all[i + 1]!;
      if (this.busy(a.region.id) || this.busy(b.region.id) || a.merging || b.merging) continue;
      if (storesMismatch(a.region, b.region) !== undefined) continue;
      pairs.push([a, b]);
    }
    if (pairs.length === 0) return;
    const [a, b] = pairs[this.world.rand.int(pairs.length)]!;
    const [source, target] = this.world.rand.chance(0.5) ? [a, b] : [b, a];
    const op: Operator = { kind: 'merge', source: source.region.id, target: target.region.id, step: 'prepare', started: now, proposedAt: now };
    this.ops.push(op);
    this.stats.mergesStarted++;
    this.proposePrepare(op, now);
  }

  private startMove(now: number): void {
    const free = this.freeRegions();
    if (free.length === 0) return;
    const st = free[this.world.rand.int(free.length)]!;
    const used = new Set(st.region.peers.map((p) => p.storeId));
    const stores = [...this.c.stores.keys()].filter((s) => !used.has(s));
    if (stores.length === 0) return;
    const storeId = stores[this.world.rand.int(stores.length)]! as StoreId;
    const learner: RegionPeer = { id: this.c.pd.allocId() as PeerId, storeId, role: 'learner' };
    const op: Operator = { kind: 'move', regionId: st.region.id, step: 'add', learner, started: now, proposedAt: -Infinity };
    this.ops.push(op);
    this.stats.movesStarted++;
    this.stepMove(op, now);
  }

  private transferRandom(): void {
    const all = this.c.pd.ordered();
    const st = all[this.world.rand.int(all.length)]!;
    const voters = st.region.peers.filter((p) => p.role === 'voter');
    const to = voters[this.world.rand.int(voters.length)]!;
    const l = this.c.leaderOf(st.region.id);
    if (!l || l.peerId === to.id) return;
    this.c.store(l.storeId).transferLeader(st.region.id, to.id);
    this.stats.transfers++;
  }

  /** Proposes at the region's leader; false if there is none or it refused. */
  private propose(regionId: RegionId, cmd: AdminCommand): boolean {
    const l = this.c.leaderOf(regionId);
    if (!l) return false;
    return this.c.store(l.storeId).proposeAdmin(regionId, cmd) === undefined;
  }

  private finish(op: Operator): void {
    this.ops = this.ops.filter((o) => o !== op);
  }

  // -------------------------------------------------------------------------------------------
  // Replica move.

  private stepMove(op: Extract<Operator, { kind: 'move' }>, now: number): void {
    const st = this.c.pd.get(op.regionId);
    if (!st || st.merging || now - op.started > moveTicksMax) {
      this.stats.movesAbandoned++;
      this.finish(op);
      return;
    }
    const r = st.region;
    const learner = r.peers.find((p) => p.id === op.learner.id);
    const due = now - op.proposedAt >= reproposeTicks;
    switch (op.step) {
      case 'add':
        if (learner) {
          op.step = 'catch-up';
          break;
        }
        if (r.peers.some((p) => p.storeId === op.learner.storeId)) {
          this.stats.movesAbandoned++;
          this.finish(op);
          return;
        }
        if (due) {
          op.proposedAt = now;
          this.propose(r.id, { type: 'change-peer', epoch: { ...r.epoch }, change: { type: 'add-learner', peer: op.learner } });
        }
        break;
      case 'catch-up': {
        if (!learner) return this.abandon(op);
        const l = this.c.leaderOf(r.id);
        const s = this.c.store(op.learner.storeId);
        const p = s.up ? s.peers.get(r.id) : undefined;
        if (l && p && p.peerId === learner.id && p.initialized && p.disk.apply.index + 3 >= l.raw!.raft.raftLog.committed) {
          op.step = 'promote';
          op.proposedAt = -Infinity;
          this.stepMove(op, now);
        }
        break;
      }
      case 'promote':
        if (!learner) return this.abandon(op);
        if (learner.role === 'voter') {
          const others = r.peers.filter((p) => p.role === 'voter' && p.id !== learner.id);
          op.victim = others[this.world.rand.int(others.length)]!.id;
          op.step = 'remove';
          op.proposedAt = -Infinity;
          this.stepMove(op, now);
          break;
        }
        if (due) {
          op.proposedAt = now;
          this.propose(r.id, { type: 'change-peer', epoch: { ...r.epoch }, change: { type: 'promote-learner', peerId: learner.id } });
        }
        break;
      case 'remove': {
        if (!r.peers.some((p) => p.id === op.victim)) {
          this.stats.movesDone++;
          this.finish(op);
          return;
        }
        if (!due) break;
        op.proposedAt = now;
        const l = this.c.leaderOf(r.id);
        if (!l) break;
        if (l.peerId === op.victim) {
          const to = r.peers.find((p) => p.role === 'voter' && p.id !== op.victim)!;
          this.c.store(l.storeId).transferLeader(r.id, to.id);
        } else {
          this.propose(r.id, { type: 'change-peer', epoch: { ...r.epoch }, change: { type: 'remove-peer', peerId: op.victim! } });
        }
        break;
      }
      default:
        assertNever(op.step, 'operator step');
    }
  }

  private abandon(op: Operator): void {
    this.stats.movesAbandoned++;
    this.finish(op);
  }

  // -------------------------------------------------------------------------------------------
  // Merge.

  private proposePrepare(op: Extract<Operator, { kind: 'merge' }>, now: number): void {
    const s = this.c.pd.get(op.source);
    const t = this.c.pd.get(op.target);
    op.proposedAt = now;
    if (!s || !t) return;
    this.propose(op.source, { type: 'prepare-merge', epoch: { ...s.region.epoch }, target: cloneRegion(t.region) });
  }

  /** Commit-merge can never apply: the target moved on since the source froze. */
  private targetMoved(src: RegionState): boolean {
    const recorded = src.merging!.target;
    const t = this.c.pd.get(recorded.id);
    return !t || !epochEquals(t.region.epoch, recorded.epoch);
  }

  private stepMerge(op: Extract<Operator, { kind: 'merge' }>, now: number): void {
    const pd = this.c.pd;
    const src = pd.get(op.source);
    const due = now - op.proposedAt >= reproposeTicks;
    if (!src) {
      // Merged: some target peer applied commit-merge.
      this.stats.mergesDone++;
      this.finish(op);
      return;
    }
    switch (op.step) {
      case 'prepare':
        if (src.merging) {
          op.step = 'wait';
          this.stepMerge(op, now);
        } else if (now - op.started > prepareTicksMax) {
          // Nothing froze; an old proposal that commits later is adopted (adoptOrphans).
          this.finish(op);
        } else if (due) {
          this.proposePrepare(op, now);
        }
        break;
      case 'wait':
      case 'commit': {
        if (!src.merging) {
          this.finish(op); // rolled back
          return;
        }
        if (this.targetMoved(src)) {
          op.step = 'rollback';
          op.proposedAt = -Infinity;
          this.stepMerge(op, now);
          return;
        }
        if (op.step === 'wait') {
          // Every source peer must have applied prepare-merge: each store's target peer will
          // take over its local source peer's data when it applies commit-merge.
          const ready = src.region.peers.every((rp) => {
            const p = this.c.store(rp.storeId).peers.get(op.source);
            // This very prepare-merge: a lagging peer may sit at an earlier attempt that was
            // rolled back since, merging too, but at an older epoch.
            return p !== undefined && p.peerId === rp.id && p.state?.merging !== undefined && epochEquals(p.state.region.epoch, src.region.epoch);
          });
          if (!ready && !this.c.opts.bugs.has('commit-without-wait')) return;
          op.step = 'commit';
          op.proposedAt = -Infinity;
        }
        if (now - op.proposedAt >= reproposeTicks) {
          const t = pd.get(src.merging.target.id)!;
          op.proposedAt = now;
          this.propose(t.region.id, { type: 'commit-merge', epoch: { ...t.region.epoch }, source: src });
        }
        break;
      }
      case 'rollback':
        if (!src.merging) {
          this.stats.rollbacks++;
          this.finish(op);
          return;
        }
        if (due) {
          op.proposedAt = now;
          this.propose(op.source, { type: 'rollback-merge', epoch: { ...src.region.epoch } });
        }
        break;
      default:
        assertNever(op.step, 'operator step');
    }
  }

  /** A frozen source with no operator (its prepare committed after the operator gave up). */
  private adoptOrphans(now: number): void {
    for (const st of this.c.pd.regions.values()) {
      if (!st.merging) continue;
      const id = st.region.id;
      if (this.ops.some((o) => o.kind === 'merge' && o.source === id)) continue;
      // A move on the same region: it stops (the region is merging), the merge takes over.
      for (const o of this.ops) if (o.kind === 'move' && o.regionId === id) this.abandon(o);
      const op: Operator = { kind: 'merge', source: id, target: st.merging.target.id, step: 'wait', started: now, proposedAt: -Infinity };
      this.ops.push(op);
        }
  }

  // -------------------------------------------------------------------------------------------
  // Stale peers.

  private collectStale(): void {
    const pd = this.c.pd;
    for (const s of this.c.stores.values()) {
      if (!s.up) continue;
      for (const p of [...s.peers.values()]) {
        const st = pd.get(p.regionId);
        let stale: string | undefined;
        if (st) {
          if (st.region.peers.some((x) => x.id === p.peerId)) continue;
          if (!p.initialized) stale = 'uninitialized, not in its region';
          else if (st.region.epoch.confVer > p.state!.region.epoch.confVer) stale = `removed from region ${p.regionId}`;
          else {
            this.c.fail(
              'stale peers are behind',
              `peer ${p.peerId} of region ${p.regionId} on store ${s.id} is not in the region, yet at confVer ` +
                `${p.state!.region.epoch.confVer} >= PD's ${st.region.epoch.confVer}`,
            );
          }
        } else {
          const into = pd.mergedInto(p.regionId);
          if (into === undefined) {
            if (p.initialized) this.c.fail('known regions', `store ${s.id} holds region ${p.regionId}, which PD never heard of`);
            stale = 'uninitialized peer of an unknown region';
          } else if (!p.initialized) {
            stale = `uninitialized, region merged into ${into}`;
          } else if (this.c.opts.bugs.has('eager-source-gc')) {
            stale = `region merged into ${into}`;
          } else {
            stale = this.mergedSourceStale(s, p.peerId, pd.merged.get(p.regionId)!);
          }
        }
        if (stale !== undefined) {
          this.stats.staleDestroyed++;
          this.c.count(`stale peer destroyed: ${stale.replace(/[0-9]+/g, 'N')}`);
          s.destroyPeer(p, `stale: ${stale}`);
        }
      }
    }
  }

  /**
   * Why the peer of a merged-away source on store s is stale, or undefined while this store's
   * peer of the target may still apply the commit-merge and need the source's data. The
   * source's frozen state F (PD's record) names the target T and its epoch E then, and T's peer
   * tX on this store (same stores):
   *   - a source peer F does not list was removed before the merge: no target peer here needs it;
   *   - tX destroyed, or replaced here by a newer peer of T: it will never apply commit-merge;
   *   - tX past E (it applied the merge, or a snapshot from after it): it no longer needs it;
   *   - tX not here, and no longer in T: removed before it ever came; it never will.
   * Otherwise tX is here behind E, or still to come: keep the source's data for it.
   */
  private mergedSourceStale(s: SimStore, peerId: PeerId, frozen: RegionState): string | undefined {
    if (!frozen.region.peers.some((x) => x.id === peerId)) return 'not in its region when it merged';
    const target = frozen.merging!.target;
    const tX = target.peers.find((x) => x.storeId === s.id)!.id;
    if (s.tombstones.has(tX)) return `target peer ${tX} here is gone`;
    const t = s.peers.get(target.id);
    if (t && t.peerId !== tX) return `target peer ${tX} here was replaced`;
    if (t) return t.initialized && t.state!.region.epoch.version > target.epoch.version ? `target peer ${tX} here is past the merge` : undefined;
    const tNow = this.c.pd.latest(target.id)!;
    return tNow.region.peers.some((x) => x.id === tX) ? undefined : `target peer ${tX} was removed before it came here`;
  }

  /** Regions as PD knows them, for messages. */
  regionsText(): string {
    return this.c.pd
      .ordered()
      .map((s) => describeRegion(s.region) + (s.merging ? ` merging->${s.merging.target.id}` : ''))
      .join(' ');
  }
}

export function describeRegion(r: Region): string {
  const show = (b: Uint8Array): string => Buffer.from(b).toString('latin1');
  return `${r.id}[${show(r.start)},${show(r.end)}){${r.epoch.confVer},${r.epoch.version}}(${r.peers
    .map((p) => `${p.id}@${p.storeId}${p.role === 'learner' ? 'L' : ''}`)
    .join(' ')})`;
}
