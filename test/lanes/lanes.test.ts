// Lanes in one process: each Lane stands for one store, messages between "stores" are handed
// over directly, timestamps come from a counter. Exercises the region peer's paths end to end
// without threads or sockets: writes and reads through Raft, a split, a replica added by snapshot,
// a peer removed, and a restart from disk.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import type { PeerId, Region, RegionId, StoreId } from '../../src/cluster/region.js';
import type { RegionOp } from '../../src/cluster/region_ops.js';
import type { PutResponse, RangeResponse } from '../../src/mvcc/types.js';
import { Lane } from '../../regions/lane/lane.js';
import type { FromLane, LaneOptions, RegionReport } from '../../regions/lane/protocol.js';
import { putReq, rangeReq, s } from '../mvcc/helpers.js';

class Cluster {
  readonly lanes = new Map<StoreId, Lane>();
  readonly reports = new Map<RegionId, RegionReport>();
  private readonly calls = new Map<number, { resolve(v: unknown): void; reject(e: unknown): void }>();
  private callSeq = 0;
  private ts = 1000;
  private ticker: NodeJS.Timeout;

  constructor(private readonly dir: string) {
    this.ticker = setInterval(() => {
      for (const l of this.lanes.values()) l.tick();
    }, 10);
  }

  open(store: StoreId): Lane {
    const opts: LaneOptions = {
      lane: 0,
      storeId: store,
      path: path.join(this.dir, `store-${store}`),
      noSync: true,
      flushDelayMs: 0,
      heartbeatMs: 10,
      electionMs: 100,
      raftLogEntriesMax: 10_000,
      hibernateTicks: 1_000_000,
      statsIntervalMs: 1_000_000,
    };
    const lane = new Lane(opts, (batch) => this.onLane(store, batch), (fn) => void setImmediate(fn), Date.now());
    this.lanes.set(store, lane);
    return lane;
  }

  private onLane(from: StoreId, batch: FromLane[]): void {
    for (const m of batch) {
      switch (m.t) {
        case 'send':
          this.lanes.get(m.toStore)?.handle([{ t: 'raft', fromStore: from, msgs: m.msgs }]);
          break;
        case 'reply': {
          const c = this.calls.get(m.id);
          if (!c) break;
          this.calls.delete(m.id);
          if (m.ok) c.resolve(m.value);
          else c.reject(m.error);
          break;
        }
        case 'tso': {
          const first = this.ts;
          this.ts += m.count;
          this.lanes.get(from)!.handle([{ t: 'tso', id: m.id, first, count: m.count }]);
          break;
        }
        case 'regions':
          for (const r of m.changed) if (r.isLeader || !this.reports.has(r.region.id)) this.reports.set(r.region.id, r);
          break;
        default:
          break;
      }
    }
  }

  call(store: StoreId, region: Region, op: RegionOp): Promise<unknown> {
    const id = ++this.callSeq;
    return new Promise((resolve, reject) => {
      this.calls.set(id, { resolve, reject });
      this.lanes.get(store)!.handle([{ t: 'call', id, region: region.id, epoch: region.epoch, op }]);
    });
  }

  /** The call on whichever store leads the region, retrying until one does. */
  async onLeader(regionId: RegionId, op: (r: Region) => RegionOp): Promise<unknown> {
    for (let attempt = 0; attempt < 300; attempt++) {
      const rep = this.reports.get(regionId);
      const leader = rep?.leader;
      if (rep && leader && this.lanes.has(leader.storeId)) {
        try {
          return await this.call(leader.storeId, rep.region, op(rep.region));
        } catch (e) {
          const code = (e as { error?: { code?: string } }).error?.code;
          if (code !== 'NotLeader' && code !== 'EpochNotMatch' && code !== 'RegionNotFound') throw e;
        }
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`region ${regionId}: no leader answered`);
  }

  async until(what: string, cond: () => boolean): Promise<void> {
    for (let i = 0; i < 500; i++) {
      if (cond()) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`timed out waiting for ${what}`);
  }

  async close(store: StoreId): Promise<void> {
    const lane = this.lanes.get(store)!;
    this.lanes.delete(store);
    lane.stop();
    await new Promise((r) => setTimeout(r, 50));
  }

  async stop(): Promise<void> {
    clearInterval(this.ticker);
    for (const id of [...this.lanes.keys()]) await this.close(id);
  }
}

const id = <T extends number>(n: number) => n as T;

function newCluster(t: TestContext): Cluster {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-lanes-'));
  const c = new Cluster(dir);
  t.after(async () => {
    await c.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return c;
}

const region1: Region = {
  id: id<RegionId>(1),
  start: new Uint8Array(0),
  end: new Uint8Array(0),
  epoch: { confVer: 1, version: 1 },
  peers: [1, 2, 3].map((n) => ({ id: id<PeerId>(10 + n), storeId: id<StoreId>(n), role: 'voter' as const })),
};

async function startThree(c: Cluster): Promise<void> {
  for (const store of [1, 2, 3]) {
    const lane = c.open(id<StoreId>(store));
    const peer = region1.peers.find((p) => p.storeId === store)!;
    lane.handle([{ t: 'createPeer', region: region1, peerId: peer.id }]);
  }
  await c.until('a leader of region 1', () => c.reports.get(region1.id)?.leader !== undefined);
}

const put = (k: string, v: string): RegionOp => ({ op: 'put', req: putReq(k, v) });
const get = (k: string, end = ''): RegionOp => ({ op: 'range', req: rangeReq(k, { end }) });
const keysOf = (r: unknown) => (r as RangeResponse).kvs.map((kv) => `${s(kv.key)}=${s(kv.value)}`);

test('writes through a three-peer region get increasing timestamp revisions and read back', async (t) => {
  const c = newCluster(t);
  await startThree(c);
  const revs: number[] = [];
  for (const k of ['a', 'b', 'c']) revs.push(((await c.onLeader(region1.id, () => put(k, `v${k}`))) as PutResponse).revision);
  assert.ok(revs[0]! >= 1000 && revs[0]! < revs[1]! && revs[1]! < revs[2]!, `revisions ${revs}`);
  assert.deepEqual(keysOf(await c.onLeader(region1.id, () => get('a', 'z'))), ['a=va', 'b=vb', 'c=vc']);
});

test('a split cuts the region in two without moving data, on every store, and both halves serve', async (t) => {
  const c = newCluster(t);
  await startThree(c);
  for (const k of ['a', 'm', 'x']) await c.onLeader(region1.id, () => put(k, k));
  const newPeers = region1.peers.map((_, i) => 20 + i);
  await c.onLeader(region1.id, () => ({ op: 'split', keys: [Buffer.from('m')], newRegionIds: [id<RegionId>(2)], newPeerIds: [newPeers] }));
  await c.until('a leader of region 2', () => c.reports.get(id<RegionId>(2))?.leader !== undefined);
  const left = c.reports.get(id<RegionId>(2))!.region;
  const right = c.reports.get(region1.id)!.region;
  // The parent keeps the right part; both halves are at the new version.
  assert.equal(s(left.end), 'm');
  assert.equal(s(right.start), 'm');
  assert.deepEqual([left.epoch.version, right.epoch.version], [2, 2]);
  assert.deepEqual(keysOf(await c.onLeader(left.id, () => get('\0', 'm'))), ['a=a']);
  assert.deepEqual(keysOf(await c.onLeader(right.id, () => get('m', '\0'))), ['m=m', 'x=x']);
  await c.onLeader(left.id, () => put('b', 'b'));
  assert.deepEqual(keysOf(await c.onLeader(left.id, () => get('\0', 'm'))), ['a=a', 'b=b']);
  // A key outside a region's range is refused, so the router can learn the new shape.
  await assert.rejects(c.call(c.reports.get(left.id)!.leader!.storeId, left, put('z', 'z')), (e: { error: { code: string } }) => e.error.code === 'KeyNotInRegion');
});

test('a replica added as a learner receives the region by snapshot, is promoted, and the old peer is removed', async (t) => {
  const c = newCluster(t);
  await startThree(c);
  for (let i = 0; i < 20; i++) await c.onLeader(region1.id, () => put(`k${String(i).padStart(2, '0')}`, `v${i}`));
  c.open(id<StoreId>(4));
  const learner = { id: id<PeerId>(40), storeId: id<StoreId>(4), role: 'learner' as const };
  await c.onLeader(region1.id, () => ({ op: 'changePeer', change: { type: 'add-learner', peer: learner } }));
  await c.onLeader(region1.id, () => ({ op: 'changePeer', change: { type: 'promote-learner', peerId: learner.id } }));
  // Remove a follower's peer (never the leader's own: that is refused).
  const rep = c.reports.get(region1.id)!;
  const victim = rep.region.peers.find((p) => p.id !== rep.leader!.id && p.storeId !== 4)!;
  await c.onLeader(region1.id, () => ({ op: 'changePeer', change: { type: 'remove-peer', peerId: victim.id } }));
  const after = c.reports.get(region1.id)!.region;
  assert.equal(after.epoch.confVer, 4);
  assert.deepEqual(after.peers.map((p) => p.storeId).sort(), [1, 2, 3, 4].filter((n) => n !== victim.storeId));
  // The new replica can lead, and has every key. A transfer is abandoned if the transferee is
  // not caught up within an election timeout: ask again until it happens, as PD's operator does.
  for (let i = 0; i < 20 && c.reports.get(region1.id)?.leader?.storeId !== 4; i++) {
    await c.onLeader(region1.id, () => ({ op: 'transferLeader', toPeer: learner.id }));
    await new Promise((r) => setTimeout(r, 300));
  }
  await c.until('store 4 leads region 1', () => c.reports.get(region1.id)?.leader?.storeId === 4);
  const all = keysOf(await c.onLeader(region1.id, () => get('k', 'l')));
  assert.equal(all.length, 20);
  assert.equal(all[7], 'k07=v7');
});

test('a store restarted on its data dir brings its peers back with their data', async (t) => {
  const c = newCluster(t);
  await startThree(c);
  for (const k of ['a', 'b']) await c.onLeader(region1.id, () => put(k, k));
  const leaderStore = c.reports.get(region1.id)!.leader!.storeId;
  await c.close(leaderStore);
  c.reports.delete(region1.id);
  await c.until('a new leader', () => c.reports.get(region1.id)?.leader !== undefined && c.reports.get(region1.id)!.leader!.storeId !== leaderStore);
  await c.onLeader(region1.id, () => put('c', 'c'));
  c.open(leaderStore);
  for (let i = 0; i < 20 && c.reports.get(region1.id)?.leader?.storeId !== leaderStore; i++) {
    await c.onLeader(region1.id, () => ({ op: 'transferLeader', toPeer: region1.peers.find((p) => p.storeId === leaderStore)!.id }));
    await new Promise((r) => setTimeout(r, 300));
  }
  await c.until('the restarted store leads again', () => c.reports.get(region1.id)?.leader?.storeId === leaderStore);
  assert.deepEqual(keysOf(await c.onLeader(region1.id, () => get('a', 'z'))), ['a=a', 'b=b', 'c=c']);
});

test('a merge: the source freezes, the target takes its range on every store, keys stay readable', async (t) => {
  const c = newCluster(t);
  await startThree(c);
  for (const k of ['a', 'x']) await c.onLeader(region1.id, () => put(k, k));
  const newPeers = region1.peers.map((_, i) => 30 + i);
  await c.onLeader(region1.id, () => ({ op: 'split', keys: [Buffer.from('m')], newRegionIds: [id<RegionId>(3)], newPeerIds: [newPeers] }));
  await c.until('a leader of region 3', () => c.reports.get(id<RegionId>(3))?.leader !== undefined);
  const source = c.reports.get(id<RegionId>(3))!.region; // ["", "m")
  const target = c.reports.get(region1.id)!.region; // ["m", "")
  // Writes to a frozen source are refused with RegionBusy, so the router waits for the merge.
  await c.onLeader(source.id, () => ({ op: 'prepareMerge', target }));
  await assert.rejects(c.onLeader(source.id, () => put('b', 'b')), (e: { error: { code: string } }) => e.error.code === 'RegionBusy');
  // As the merger does: every store's source peer froze before the commit is proposed.
  for (const store of [1, 2, 3]) {
    for (let i = 0; ; i++) {
      const st = (await c.call(id<StoreId>(store), source, { op: 'localState' })) as { mergingInto?: Region };
      if (st.mergingInto) break;
      assert.ok(i < 200, `store ${store}: the source never froze`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  await c.onLeader(region1.id, (r) => ({ op: 'commitMerge', source: c.reports.get(source.id)!.region, target: r }));
  await c.until('the target covers the whole key space', () => c.reports.get(region1.id)!.region.start.length === 0);
  const merged = c.reports.get(region1.id)!.region;
  // Both halves were at version 2; prepare-merge took the source to 3; the target ends at 3 + 1.
  assert.equal(merged.epoch.version, 4);
  assert.deepEqual(keysOf(await c.onLeader(region1.id, () => get('\0', '\0'))), ['a=a', 'x=x']);
  await c.onLeader(region1.id, () => put('b', 'b'));
  assert.deepEqual(keysOf(await c.onLeader(region1.id, () => get('\0', '\0'))), ['a=a', 'b=b', 'x=x']);
});
