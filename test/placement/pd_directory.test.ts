// PD's region directory as region heartbeats change it: whatever order a split's halves report
// in, it never holds two overlapping ranges, never answers a key with a stale region when a
// newer one holds it, ignores late reports of old shapes, and a new PD leader loads it as the
// old one left it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PeerId, Region, RegionId, RegionPeer, StoreId } from '../../src/cluster/region.js';
import { compareKeys } from '../../src/cluster/region.js';
import type { PutRequest, RangeRequest } from '../../src/mvcc/types.js';
import { pack } from '../../src/util/msgpack.js';
import { PdService, type ClusterMode, type PdCore } from '../../placement/pd/service.js';

const enc = new TextEncoder();
const k = (s: string) => enc.encode(s);

/** An in-memory stand-in for the member's etcd core: the range and put PD uses. */
function fakeCore(): PdCore {
  const kv = new Map<string, Uint8Array>();
  let revision = 0;
  const str = (b: Uint8Array) => Buffer.from(b).toString('latin1'); // keeps byte order
  return {
    header: () => ({ clusterId: 7n, memberId: 1n, revision, raftTerm: 1 }),
    async range(req: RangeRequest) {
      const from = str(req.key);
      const to = str(req.rangeEnd);
      const keys = req.rangeEnd.length === 0 ? (kv.has(from) ? [from] : []) : [...kv.keys()].filter((x) => x >= from && x < to).sort();
      const kvs = keys.map((x) => ({ key: Buffer.from(x, 'latin1'), value: kv.get(x)!, createRevision: 1, modRevision: 1, version: 1, lease: 0n }));
      return { kvs, more: false, count: kvs.length, revision };
    },
    async put(req: PutRequest) {
      kv.set(str(req.key), req.value.slice());
      return { revision: ++revision };
    },
  };
}

async function newPd(core: PdCore, mode: ClusterMode = 'range'): Promise<PdService> {
  const pd = new PdService({
    core,
    leadership: () => ({ isLeader: true, leaderClientUrl: undefined }),
    mode,
    replicas: 3,
    hashGroups: 3,
    clock: () => 1_000_000,
  });
  for (const id of [1, 2, 3]) {
    await pd.storeHeartbeat({
      id: id as StoreId,
      clientUrl: `http://127.0.0.1:${2378 + id * 10}`,
      peerUrl: `http://127.0.0.1:${2379 + id * 10}`,
      lanes: 2,
      regionCount: 0,
      leaderCount: 0,
      capacityBytes: 0,
      availableBytes: 0,
    });
  }
  return pd;
}

/** A region on stores 1, 2, 3 with peers id * 10 + store. */
function shape(id: number, start: string, end: string, version: number, confVer = 1): Region {
  return {
    id: id as RegionId,
    start: k(start),
    end: k(end),
    epoch: { confVer, version },
    peers: [1, 2, 3].map((s) => ({ id: (id * 10 + s) as PeerId, storeId: s as StoreId, role: 'voter' as const })),
  };
}

function report(pd: PdService, region: Region, leaderStore = 1) {
  const leader: RegionPeer = region.peers.find((p) => p.storeId === leaderStore)!;
  return pd.regionHeartbeat({ region, leader, approximateBytes: 0, approximateKeys: 0, writeQps: 0, readQps: 0 });
}

/** The directory as [id, start, end, version] in key order; asserts no two ranges overlap. */
async function directory(pd: PdService): Promise<Array<[number, string, string, number]>> {
  const list = (await pd.listRegions()).map(({ region }) => region);
  for (let i = 1; i < list.length; i++) {
    const prevEnd = list[i - 1]!.end;
    assert.ok(prevEnd.length !== 0 && compareKeys(prevEnd, list[i]!.start) <= 0, `regions ${list[i - 1]!.id} and ${list[i]!.id} overlap`);
  }
  const s = (b: Uint8Array) => Buffer.from(b).toString('latin1');
  return list.map((r) => [r.id, s(r.start), s(r.end), r.epoch.version]);
}

async function holder(pd: PdService, key: string): Promise<number | undefined> {
  return (await pd.regionByKey(k(key)))?.region.id;
}

/** The bootstrap region (ID 1, peers 2, 3, 4 from the ID allocator), re-reported in our peer scheme. */
async function bootstrapped(core = fakeCore()): Promise<PdService> {
  const pd = await newPd(core);
  const [first] = await pd.listRegions();
  assert.equal(first!.region.id, 1);
  // The bootstrap region's own peers, so its reports match its shape.
  await pd.regionHeartbeat({ region: first!.region, leader: first!.region.peers[0]!, approximateBytes: 0, approximateKeys: 0, writeQps: 0, readQps: 0 });
  return pd;
}

/**
 * Region 1 = ["", "") v1 split at "m": 100 = ["", "m") and 1 = ["m", "") at v2 (the parent keeps
 * the right part and its peers; tests build that half from the bootstrap region).
 */
const left = shape(100, '', 'm', 2);

test('a split\'s halves reported child first: the parent\'s old shape is dropped, never overlapping the child', async () => {
  const pd = await bootstrapped();
  // The parent's peers are 2, 3, 4 (bootstrap); keep them for its new shape.
  const parent = (await pd.regionById(1 as RegionId))!.region;
  const rightHalf: Region = { ...parent, start: k('m'), epoch: { confVer: 1, version: 2 } };
  await report(pd, left);
  assert.deepEqual(await directory(pd), [[100, '', 'm', 2]]);
  assert.equal(await holder(pd, 'a'), 100, 'the newer child holds "a", not the parent\'s old shape');
  assert.equal(await holder(pd, 'x'), undefined, 'the rest is unknown until the parent reports');
  await pd.regionHeartbeat({ region: rightHalf, leader: rightHalf.peers[0]!, approximateBytes: 0, approximateKeys: 0, writeQps: 0, readQps: 0 });
  assert.deepEqual(await directory(pd), [
    [100, '', 'm', 2],
    [1, 'm', '', 2],
  ]);
  assert.equal(await holder(pd, 'a'), 100);
  assert.equal(await holder(pd, 'x'), 1);
});

test('a split\'s halves reported parent first: the parent shrinks, then the child fills the gap', async () => {
  const pd = await bootstrapped();
  const parent = (await pd.regionById(1 as RegionId))!.region;
  const rightHalf: Region = { ...parent, start: k('m'), epoch: { confVer: 1, version: 2 } };
  await pd.regionHeartbeat({ region: rightHalf, leader: rightHalf.peers[0]!, approximateBytes: 0, approximateKeys: 0, writeQps: 0, readQps: 0 });
  assert.deepEqual(await directory(pd), [[1, 'm', '', 2]]);
  assert.equal(await holder(pd, 'a'), undefined);
  await report(pd, left);
  assert.deepEqual(await directory(pd), [
    [100, '', 'm', 2],
    [1, 'm', '', 2],
  ]);
});

test('a late report of a region\'s old shape changes nothing, not even its leader', async () => {
  const pd = await bootstrapped();
  const old = (await pd.regionById(1 as RegionId))!.region;
  const rightHalf: Region = { ...old, start: k('m'), epoch: { confVer: 1, version: 2 } };
  await report(pd, left);
  await pd.regionHeartbeat({ region: rightHalf, leader: rightHalf.peers[1]!, approximateBytes: 0, approximateKeys: 0, writeQps: 0, readQps: 0 });
  const before = await directory(pd);
  // The deposed leader's heartbeat of the old whole-key-space shape arrives last.
  const reply = await pd.regionHeartbeat({ region: old, leader: old.peers[0]!, approximateBytes: 0, approximateKeys: 0, writeQps: 0, readQps: 0 });
  assert.deepEqual(reply, {});
  assert.deepEqual(await directory(pd), before);
  assert.equal((await pd.regionById(1 as RegionId))!.leader!.id, rightHalf.peers[1]!.id);
  // A child reported before the parent, then the old parent shape again: still stale (it overlaps a newer child).
  const pd2 = await bootstrapped();
  await report(pd2, left);
  await pd2.regionHeartbeat({ region: old, leader: old.peers[0]!, approximateBytes: 0, approximateKeys: 0, writeQps: 0, readQps: 0 });
  assert.deepEqual(await directory(pd2), [[100, '', 'm', 2]]);
});

test('a stale membership report of a known region is ignored', async () => {
  const pd = await bootstrapped();
  await report(pd, shape(100, '', 'm', 2, 3));
  await report(pd, shape(100, '', 'm', 2, 2));
  assert.equal((await pd.regionById(100 as RegionId))!.region.epoch.confVer, 3);
});

test('a batch split into three, reported in every order, never overlaps and ends the same', async () => {
  const orders = [
    [0, 1, 2],
    [0, 2, 1],
    [1, 0, 2],
    [1, 2, 0],
    [2, 0, 1],
    [2, 1, 0],
  ];
  for (const order of orders) {
    const pd = await bootstrapped();
    const parent = (await pd.regionById(1 as RegionId))!.region;
    // Split at "g" and "p": 100 = ["", "g"), 200 = ["g", "p"), 1 = ["p", ""), all at version 3.
    const parts = [shape(100, '', 'g', 3), shape(200, 'g', 'p', 3), { ...parent, start: k('p'), epoch: { confVer: 1, version: 3 } }];
    for (const i of order) {
      const r = parts[i]!;
      await pd.regionHeartbeat({ region: r, leader: r.peers[0]!, approximateBytes: 0, approximateKeys: 0, writeQps: 0, readQps: 0 });
      await directory(pd); // asserts no overlap after every report
      for (const key of ['a', 'h', 'q']) {
        const id = await holder(pd, key);
        if (id !== undefined) assert.equal((await pd.regionById(id as RegionId))!.region.epoch.version, 3, `order ${order}: "${key}" answered by a stale region`);
      }
    }
    assert.deepEqual(await directory(pd), [
      [100, '', 'g', 3],
      [200, 'g', 'p', 3],
      [1, 'p', '', 3],
    ], `order ${order}`);
  }
});

test('a region whose new range covers older neighbours replaces them (a merge)', async () => {
  const pd = await bootstrapped();
  const parent = (await pd.regionById(1 as RegionId))!.region;
  await report(pd, left);
  await pd.regionHeartbeat({ region: { ...parent, start: k('m'), epoch: { confVer: 1, version: 2 } }, leader: parent.peers[0]!, approximateBytes: 0, approximateKeys: 0, writeQps: 0, readQps: 0 });
  // Region 1 takes 100 back in: the whole key space again, version 3.
  await pd.regionHeartbeat({ region: { ...parent, epoch: { confVer: 1, version: 3 } }, leader: parent.peers[0]!, approximateBytes: 0, approximateKeys: 0, writeQps: 0, readQps: 0 });
  assert.deepEqual(await directory(pd), [[1, '', '', 3]]);
  assert.equal(await pd.regionById(100 as RegionId), undefined);
});

test('a new PD leader loads the directory as the old one left it, dropped regions included', async () => {
  const core = fakeCore();
  const pd = await bootstrapped(core);
  await report(pd, left); // drops region 1's old shape
  const next = await newPd(core);
  assert.deepEqual(await directory(next), [[100, '', 'm', 2]]);
  assert.equal(await next.regionById(1 as RegionId), undefined);
});

test('a new PD leader resolves overlaps a deposed leader\'s late write left in its keys', async () => {
  const core = fakeCore();
  const pd = await bootstrapped(core);
  await report(pd, left);
  // The old PD leader's late put of region 1's old shape (v1, whole key space) lands after.
  const old = shape(1, '', '', 1);
  await core.put({
    key: k('/flotilla/pd/regions/' + String(1).padStart(20, '0')),
    value: pack(old),
    lease: 0n,
    prevKv: false,
    ignoreValue: false,
    ignoreLease: false,
  });
  const next = await newPd(core);
  assert.deepEqual(await directory(next), [[100, '', 'm', 2]]);
});

test('hash-mode groups all span the key space and stay in the directory', async () => {
  const pd = await newPd(fakeCore(), 'hash');
  const groups = (await pd.listRegions()).map(({ region }) => region);
  assert.equal(groups.length, 3);
  for (const g of groups) await pd.regionHeartbeat({ region: g, leader: g.peers[0]!, approximateBytes: 0, approximateKeys: 0, writeQps: 0, readQps: 0 });
  for (const g of groups) {
    const bumped = { ...g, epoch: { ...g.epoch, version: g.epoch.version + 1 } };
    await pd.regionHeartbeat({ region: bumped, leader: g.peers[0]!, approximateBytes: 0, approximateKeys: 0, writeQps: 0, readQps: 0 });
  }
  assert.equal((await pd.listRegions()).length, 3);
  assert.ok(await pd.regionByKey(k('any')));
});
