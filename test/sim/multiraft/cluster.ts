// The simulated cluster: stores on a faulty network, PD's directory, and the per-region Raft
// invariants checked after every event (state machine safety: no two peers of a region apply
// different entries at one index; election safety: one leader per region and term).

import type { PeerId, RegionId, StoreId } from '../../../src/cluster/region.js';
import { wholeKeySpace } from '../../../src/cluster/region.js';
import type { AdminResult, RegionState } from '../../../regions/peer/admin/index.js';
import type { Entry } from '../../../src/raft/index.js';
import { Fnv64 } from '../../../src/util/hash.js';
import { InvariantViolation } from '../invariants.js';
import { Network } from '../network.js';
import type { World } from '../world.js';
import { Directory } from './directory.js';
import { SimPeer, SimStore, type Envelope, type SimOptions, type StoreContext } from './store.js';

export class MultiRaft implements StoreContext {
  readonly stores = new Map<StoreId, SimStore>();
  readonly net: Network<Envelope>;
  readonly pd: Directory;
  /** `${region}:${index}` -> fingerprint of the entry applied there. */
  private readonly appliedAt = new Map<string, string>();
  /** `${region}:${term}` -> its leader. */
  private readonly leaders = new Map<string, PeerId>();
  checks = 0;
  readonly counters: Record<string, number> = {};

  constructor(
    readonly world: World,
    readonly opts: SimOptions,
    storeCount: number,
  ) {
    this.net = new Network<Envelope>(world, opts.latency, (env) => this.stores.get(env.to)?.receive(env) ?? false);
    this.pd = new Directory((inv, detail) => this.fail(inv, detail));
    for (let i = 1; i <= storeCount; i++) this.stores.set(i as StoreId, new SimStore(i as StoreId, this));
    // Region 1 over the whole key space, voters on stores 1..3.
    const regionId = this.pd.allocId() as RegionId;
    const peers = [1, 2, 3].map((s) => ({ id: this.pd.allocId() as PeerId, storeId: s as StoreId, role: 'voter' as const }));
    const state = { region: wholeKeySpace(regionId, peers) };
    this.pd.bootstrap(state);
    for (const p of peers) this.stores.get(p.storeId)!.bootPeer(state, new Map());
  }

  store(id: StoreId): SimStore {
    return this.stores.get(id)!;
  }

  fail(invariant: string, detail: string): never {
    throw new InvariantViolation(invariant, detail);
  }

  send(env: Envelope, report?: (delivered: boolean) => void): void {
    this.net.send(env, report);
  }

  adminApplied(regionId: RegionId, result: AdminResult): void {
    this.count(`applied ${result.type}`);
    this.pd.applied(regionId, result);
  }

  mergedSource(regionId: RegionId): RegionState | undefined {
    return this.pd.merged.get(regionId);
  }

  count(what: string): void {
    this.counters[what] = (this.counters[what] ?? 0) + 1;
  }

  recordApply(regionId: RegionId, peerId: PeerId, e: Entry): void {
    this.checks++;
    const fp = new Fnv64().num(e.term).str(e.type).bytes(e.data).hex();
    const key = `${regionId}:${e.index}`;
    const known = this.appliedAt.get(key);
    if (known === undefined) this.appliedAt.set(key, fp);
    else if (known !== fp) this.fail('state machine safety', `peer ${peerId} of region ${regionId} applied a different entry at ${e.index}`);
  }

  recordLeader(regionId: RegionId, peerId: PeerId, term: number): void {
    const key = `${regionId}:${term}`;
    const known = this.leaders.get(key);
    if (known === undefined) this.leaders.set(key, peerId);
    else if (known !== peerId) this.fail('election safety', `region ${regionId} term ${term} has leaders ${known} and ${peerId}`);
  }

  tickAll(): void {
    this.world.trace.str('tick');
    for (const s of this.stores.values()) s.tick();
  }

  /** The peers of a region (as PD lists them) on stores that are up. */
  peersOf(regionId: RegionId): SimPeer[] {
    const st = this.pd.get(regionId);
    if (!st) return [];
    const out: SimPeer[] = [];
    for (const rp of st.region.peers) {
      const s = this.stores.get(rp.storeId)!;
      const p = s.peers.get(regionId);
      if (s.up && p && p.peerId === rp.id) out.push(p);
    }
    return out;
  }

  /** The leader with the highest term among a region's peers that are up. */
  leaderOf(regionId: RegionId): SimPeer | undefined {
    let best: SimPeer | undefined;
    for (const p of this.peersOf(regionId)) {
      if (!p.isLeader || !p.initialized) continue;
      if (!best || p.raw!.raft.term > best.raw!.raft.term) best = p;
    }
    return best;
  }

  /** Every peer on every up or down store (for the end-of-run checks). */
  allPeers(): SimPeer[] {
    const out: SimPeer[] = [];
    for (const s of this.stores.values()) for (const p of s.peers.values()) out.push(p);
    return out;
  }

  /** Every store's peer of a region, for failure messages. */
  describePeers(regionId: RegionId): string {
    const out: string[] = [];
    for (const s of this.stores.values()) {
      const p = s.peers.get(regionId);
      if (!p) continue;
      const raw = p.raw?.raft;
      const st = p.state;
      out.push(
        `${p.peerId}@${s.id}${s.up ? '' : '(down)'}: ` +
          (raw ? `${raw.state} t${raw.term} lead ${raw.lead} commit ${raw.raftLog.committed} last ${raw.raftLog.lastIndex()} ` : '') +
          (st ? `applied ${p.disk.apply.index} {${st.region.epoch.confVer},${st.region.epoch.version}}${st.merging ? ' merging' : ''}` : 'uninitialized') +
          (p.pendingSnap ? ' pending-snap' : ''),
      );
    }
    return `region ${regionId}: ${out.join('; ')}`;
  }

  checkStores(): void {
    for (const s of this.stores.values()) s.meta.checkInvariants();
  }
}
