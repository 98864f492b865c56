// PD's scheduling loop driven through PdService with a fake core and a fake clock: region
// heartbeats feed the snapshot, rounds (maintain) plan operators, and the commands reach the
// regions' leaders in their next heartbeat replies.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PeerId, Region, RegionId, StoreId } from '../../src/cluster/region.js';
import type { PutRequest, RangeRequest } from '../../src/mvcc/types.js';
import { Prng } from '../../src/util/prng.js';
import { PdService, type PdCore, type RegionCommand } from '../../placement/pd/service.js';

const MiB = 1024 * 1024;
const enc = new TextEncoder();
const k = (s: string) => enc.encode(s);

function fakeCore(): PdCore {
  const kv = new Map<string, Uint8Array>();
  let revision = 0;
  const str = (b: Uint8Array) => Buffer.from(b).toString('latin1');
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

interface Harness {
  pd: PdService;
  /** The fake clock, in ms. */
  now: { ms: number };
  /** Advances the clock, keeps the stores fresh, and runs maintain() (a round when one is due). */
  tick(ms?: number): Promise<void>;
  hb(region: Region, leaderStore: number, o?: { bytes?: number; keys?: number }): Promise<RegionCommand | undefined>;
}

async function harness(): Promise<Harness> {
  const now = { ms: 1_000_000 };
  const pd = new PdService({
    core: fakeCore(),
    leadership: () => ({ isLeader: true, leaderClientUrl: undefined }),
    mode: 'range',
    replicas: 3,
    clock: () => now.ms,
    rand: new Prng(42),
  });
  const storeHb = async () => {
    for (const id of [1, 2, 3]) {
      await pd.storeHeartbeat({
        id: id as StoreId,
        clientUrl: `http://127.0.0.1:${2378 + id * 10}`,
        peerUrl: `http://127.0.0.1:${2379 + id * 10}`,
        lanes: 2,
        regionCount: 0,
        leaderCount: 0,
        capacityBytes: 100 * 1024 * MiB,
        availableBytes: 90 * 1024 * MiB,
      });
    }
  };
  await storeHb();
  // These cases are about splits and leader moves: the small test regions are not to merge.
  await pd.updateScheduleConfig({ enabled: ['replica-repair', 'split-checker', 'hot-region', 'balance-leader', 'balance-region'] });
  return {
    pd,
    now,
    async tick(ms = 1_000) {
      now.ms += ms;
      await storeHb();
      await pd.maintain();
    },
    async hb(region, leaderStore, o = {}) {
      const leader = region.peers.find((p) => p.storeId === leaderStore)!;
      const reply = await pd.regionHeartbeat({
        region,
        leader,
        approximateBytes: o.bytes ?? 0,
        approximateKeys: o.keys ?? 0,
        writeQps: 0,
        readQps: 0,
      });
      return reply.command;
    },
  };
}

interface OperatorsView {
  count: number;
  operators: Array<{ regionId: number; kind: string; step: { type: string } | null; command: { kind: string } | null }>;
  totals: { added: number; finished: number; cancelled: number; timedOut: number };
  recent: Array<{ regionId: number; status: string; reason?: string }>;
}
const operators = async (pd: PdService) => (await pd.operators()) as OperatorsView;

async function bootstrapRegion(pd: PdService): Promise<Region> {
  const [first] = await pd.listRegions();
  return first!.region;
}

test('a region over the split size gets a split command in its next heartbeat reply, and the operator finishes when the halves report', async () => {
  const h = await harness();
  // Only the split checker: two halves led from one store would otherwise get a leader moved.
  await h.pd.updateScheduleConfig({ regionSplitBytesMax: 1 * MiB, enabled: ['split-checker'] });
  const r = await bootstrapRegion(h.pd);
  assert.equal(await h.hb(r, 1, { bytes: 3 * MiB, keys: 3000 }), undefined, 'nothing planned before a round');

  await h.tick();
  const inFlight = await operators(h.pd);
  assert.equal(inFlight.count, 1);
  assert.equal(inFlight.operators[0]!.kind, 'split');
  assert.deepEqual(inFlight.operators[0]!.step, { type: 'SplitRegion', keys: 'approximate' });

  const cmd = await h.hb(r, 1, { bytes: 3 * MiB, keys: 3000 });
  assert.ok(cmd && cmd.kind === 'split');
  assert.deepEqual(cmd.keys, [], 'the leader picks the middle key');
  assert.equal(cmd.newRegionIds.length, 1);
  assert.equal(cmd.newPeerIds.length, 1);
  assert.equal(cmd.newPeerIds[0]!.length, r.peers.length);
  const used = new Set<number>([r.id, ...r.peers.map((p) => p.id)]);
  for (const id of [cmd.newRegionIds[0]!, ...cmd.newPeerIds[0]!]) {
    assert.ok(!used.has(id), `ID ${id} is fresh`);
    used.add(id);
  }
  assert.equal(await h.hb(r, 1, { bytes: 3 * MiB, keys: 3000 }), undefined, 'delivered once');

  // The store splits at "m": the new region takes the left part, the parent keeps the right.
  const child: Region = {
    id: cmd.newRegionIds[0]!,
    start: new Uint8Array(0),
    end: k('m'),
    epoch: { confVer: r.epoch.confVer, version: r.epoch.version + 1 },
    peers: r.peers.map((p, i) => ({ ...p, id: cmd.newPeerIds[0]![i]! as PeerId })),
  };
  const parent: Region = { ...r, start: k('m'), epoch: child.epoch };
  await h.hb(child, 1, { bytes: 0.9 * MiB, keys: 900 });
  await h.hb(parent, 1, { bytes: 0.9 * MiB, keys: 900 });
  await h.tick();
  const after = await operators(h.pd);
  assert.equal(after.count, 0);
  assert.equal(after.totals.finished, 1);
  assert.deepEqual(after.recent.map((e) => [e.regionId, e.status]), [[r.id, 'finished']]);
  assert.equal((await h.pd.listRegions()).length, 2);
  await h.tick();
  assert.equal(await h.hb(parent, 1, { bytes: 0.9 * MiB, keys: 900 }), undefined, 'halves under the limit are left alone');
});

test('a region over the key limit splits too', async () => {
  const h = await harness();
  await h.pd.updateScheduleConfig({ regionSplitKeysMax: 1000 });
  const r = await bootstrapRegion(h.pd);
  await h.hb(r, 1, { bytes: 100, keys: 1001 });
  await h.tick();
  const cmd = await h.hb(r, 1, { bytes: 100, keys: 1001 });
  assert.equal(cmd?.kind, 'split');
});

/** Splits the bootstrap region into six regions on stores 1, 2, 3, all led from store 1. */
async function sixRegionsLedByStore1(h: Harness): Promise<Region[]> {
  const r = await bootstrapRegion(h.pd);
  const bounds = ['', 'b', 'd', 'f', 'h', 'j', ''];
  const regions: Region[] = [];
  for (let i = 0; i < 6; i++) {
    const id = i === 5 ? r.id : ((100 + i) as RegionId);
    regions.push({
      id,
      start: k(bounds[i]!),
      end: k(bounds[i + 1]!),
      epoch: { confVer: 1, version: 2 },
      peers: i === 5 ? r.peers : [1, 2, 3].map((s) => ({ id: (id * 10 + s) as PeerId, storeId: s as StoreId, role: 'voter' as const })),
    });
  }
  for (const region of regions) await h.hb(region, 1);
  assert.equal((await h.pd.listRegions()).length, 6);
  return regions;
}

test('leader imbalance produces transferLeader commands; the operators finish when heartbeats show the new leaders', async () => {
  const h = await harness();
  const regions = await sixRegionsLedByStore1(h);
  await h.tick();
  const planned = await operators(h.pd);
  // Leaders {1: 6, 2: 0, 3: 0} -> four moves (balanceBatchMax) leave {2, 2, 2}.
  assert.equal(planned.count, 4);
  for (const op of planned.operators) assert.equal(op.kind, 'balance-leader');

  const leaderStore = new Map<RegionId, number>(regions.map((r) => [r.id, 1]));
  const moves: Array<[RegionId, number]> = [];
  for (const region of regions) {
    const cmd = await h.hb(region, 1);
    if (cmd === undefined) continue;
    assert.equal(cmd.kind, 'transferLeader');
    if (cmd.kind !== 'transferLeader') continue;
    const to = region.peers.find((p) => p.id === cmd.toPeer);
    assert.ok(to && to.role === 'voter' && to.storeId !== 1, `region ${region.id}: the target is a voter of the region on another store`);
    moves.push([region.id, to.storeId]);
  }
  assert.equal(moves.length, 4);
  for (const [id, s] of moves) leaderStore.set(id, s);
  const perStore = [1, 2, 3].map((s) => [...leaderStore.values()].filter((x) => x === s).length);
  assert.deepEqual(perStore, [2, 2, 2]);

  // The stores do it: every region reports its leader.
  for (const region of regions) await h.hb(region, leaderStore.get(region.id)!);
  await h.tick();
  const after = await operators(h.pd);
  assert.equal(after.count, 0);
  assert.equal(after.totals.finished, 4);
  await h.tick();
  assert.equal((await operators(h.pd)).totals.added, 4, 'balanced: nothing more to move');
});

test('a transferLeader the region has not done is sent again after the resend time', async () => {
  const h = await harness();
  const regions = await sixRegionsLedByStore1(h);
  await h.tick();
  const first = new Map<RegionId, RegionCommand>();
  for (const region of regions) {
    const cmd = await h.hb(region, 1);
    if (cmd) first.set(region.id, cmd);
  }
  assert.equal(first.size, 4);
  await h.tick(1_000);
  for (const region of regions) assert.equal(await h.hb(region, 1), undefined, 'not again so soon');
  await h.tick(5_000);
  for (const [id, cmd] of first) {
    const again = await h.hb(regions.find((r) => r.id === id)!, 1);
    assert.deepEqual(again, cmd);
  }
});

test('a split delivered but not done is sent again with fresh IDs', async () => {
  const h = await harness();
  await h.pd.updateScheduleConfig({ regionSplitBytesMax: 1 * MiB });
  const r = await bootstrapRegion(h.pd);
  await h.hb(r, 1, { bytes: 3 * MiB });
  await h.tick();
  const first = await h.hb(r, 1, { bytes: 3 * MiB });
  await h.tick(5_000);
  const second = await h.hb(r, 1, { bytes: 3 * MiB });
  assert.ok(first?.kind === 'split' && second?.kind === 'split');
  assert.notDeepEqual(second.newRegionIds, first.newRegionIds);
});

test('a hand-made command takes precedence over a scheduled one for the region', async () => {
  const h = await harness();
  await h.pd.updateScheduleConfig({ regionSplitBytesMax: 1 * MiB });
  const r = await bootstrapRegion(h.pd);
  await h.hb(r, 1, { bytes: 3 * MiB });
  await h.tick();
  assert.equal((await operators(h.pd)).count, 1);

  await h.pd.transferLeader(r.id, 2 as StoreId);
  const view = await operators(h.pd);
  assert.equal(view.count, 0);
  assert.deepEqual(view.recent.map((e) => [e.status, e.reason]), [['cancelled', 'replaced by a hand-made command']]);
  const cmd = await h.hb(r, 1, { bytes: 3 * MiB });
  assert.deepEqual(cmd, { kind: 'transferLeader', toPeer: r.peers.find((p) => p.storeId === 2)!.id });

  // Left alone while the hand-made command's effect shows up in heartbeats.
  await h.tick();
  assert.equal((await operators(h.pd)).count, 0);
  assert.equal(await h.hb(r, 2, { bytes: 3 * MiB }), undefined);
  // Then scheduling resumes: the region is still too big.
  await h.tick(10_000);
  const cmd2 = await h.hb(r, 2, { bytes: 3 * MiB });
  assert.equal(cmd2?.kind, 'split');
});

test('a queued command is withheld from a report whose epoch moved; the next round settles the operator', async () => {
  const h = await harness();
  await h.pd.updateScheduleConfig({ regionSplitBytesMax: 1 * MiB, enabled: ['split-checker'] });
  const r = await bootstrapRegion(h.pd);
  await h.hb(r, 1, { bytes: 3 * MiB });
  await h.tick();
  // The store split the region on its own before the command arrived.
  const parent: Region = { ...r, start: k('m'), epoch: { confVer: 1, version: 2 } };
  assert.equal(await h.hb(parent, 1, { bytes: 0.9 * MiB }), undefined);
  await h.tick();
  const view = await operators(h.pd);
  assert.equal(view.count, 0);
  assert.equal(view.recent[0]!.status, 'finished');
});

test('a new PD leader waits for regions to report before it schedules', async () => {
  const h = await harness();
  await h.pd.updateScheduleConfig({ regionSplitBytesMax: 1 * MiB });
  // The bootstrap region has not reported: a round plans nothing and says why.
  await h.tick();
  const s = (await h.pd.schedulers()) as { lastRound: { skipped?: string } };
  assert.match(s.lastRound.skipped ?? '', /waiting for 1 regions to report/);
});

test('a parent still reporting its pre-split size is not split again until a new measurement shows it big', async () => {
  for (const childFirst of [true, false]) {
    const h = await harness();
    await h.pd.updateScheduleConfig({ regionSplitBytesMax: 1 * MiB, enabled: ['split-checker'] });
    const r = await bootstrapRegion(h.pd);
    await h.hb(r, 1, { bytes: 3 * MiB, keys: 3000 });
    await h.tick();
    const cmd = await h.hb(r, 1, { bytes: 3 * MiB, keys: 3000 });
    assert.ok(cmd?.kind === 'split');
    const child: Region = {
      id: cmd.newRegionIds[0]!,
      start: new Uint8Array(0),
      end: k('m'),
      epoch: { confVer: 1, version: 2 },
      peers: r.peers.map((p, i) => ({ ...p, id: cmd.newPeerIds[0]![i]! as PeerId })),
    };
    const parent: Region = { ...r, start: k('m'), epoch: child.epoch };
    // An idle parent's lane has not measured it again: it reports the old 3 MiB.
    if (childFirst) await h.hb(child, 1, { bytes: 1.5 * MiB, keys: 1500 });
    await h.hb(parent, 1, { bytes: 3 * MiB, keys: 3000 });
    if (!childFirst) await h.hb(child, 1, { bytes: 1.5 * MiB, keys: 1500 });
    await h.tick();
    await h.tick();
    const view = await operators(h.pd);
    assert.deepEqual(view.operators.map((o) => o.regionId), [child.id], `child first: ${childFirst}: only the measured child splits`);
    // Written and measured again: 2 MiB is over the limit.
    await h.hb(parent, 1, { bytes: 2 * MiB, keys: 2000 });
    await h.tick();
    assert.deepEqual((await operators(h.pd)).operators.map((o) => o.regionId).sort(), [child.id, parent.id].sort());
  }
});
