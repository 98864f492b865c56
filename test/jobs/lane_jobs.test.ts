// The lane's scans as jobs: a split with no keys cuts near the middle with the key the store's
// pool found; the lane serves while a scan is out; an answer about a region that changed
// meanwhile is refused (a split) or dropped (a size), and the lane goes on.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RegionId } from '../../src/cluster/region.js';
import type { RegionOp } from '../../src/cluster/region_ops.js';
import type { RangeResponse } from '../../src/mvcc/types.js';
import { JobPool } from '../../regions/jobs/pool.js';
import { jobsOnThisThread } from '../../regions/jobs/run.js';
import { putReq, rangeReq, s } from '../mvcc/helpers.js';
import { heldJobs, id, OneStore, region1 } from './one_store.js';

const pad = (n: number) => String(n).padStart(3, '0');
const put = (k: string, v: string): RegionOp => ({ op: 'put', req: putReq(k, v) });
const get = (k: string, end = ''): RegionOp => ({ op: 'range', req: rangeReq(k, { end }) });
const splitAnywhere = (newId: number): RegionOp => ({ op: 'split', keys: [], newRegionIds: [id<RegionId>(newId)], newPeerIds: [[newId * 10 + 1]] });
const splitAt = (key: string, newId: number): RegionOp => ({ op: 'split', keys: [Buffer.from(key)], newRegionIds: [id<RegionId>(newId)], newPeerIds: [[newId * 10 + 1]] });
const empty = new Uint8Array(0);
const codeOf = (e: unknown) => (e as { error?: { code?: string } }).error?.code;

async function fill(c: OneStore, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await c.call(region1.id, put(`k${pad(i)}`, 'v'.repeat(100)));
}

test('a split with no keys cuts near the middle, at the key the store\'s pool found', async (t) => {
  const pool = new JobPool();
  t.after(() => pool.close());
  const c = new OneStore(t, pool);
  await c.start();
  await fill(c, 200);
  // What the job finds, asked on this thread over the same committed data.
  const want = (await jobsOnThisThread.run({ kind: 'splitKey', path: c.path, span: { tablet: 'tablet', start: empty, end: empty } })).key;
  assert.ok(want !== undefined);
  const cut = s(want);
  assert.ok(cut >= 'k080' && cut <= 'k120', `a middle key of k000..k199 with equal values, not ${cut}`);

  await c.call(region1.id, splitAnywhere(2));
  await c.until('region 2 led here', () => c.reports.get(id<RegionId>(2))?.isLeader === true);
  const left = c.reports.get(id<RegionId>(2))!.region;
  const right = c.reports.get(region1.id)!.region;
  assert.equal(s(left.end), cut);
  assert.equal(s(right.start), cut);
  assert.deepEqual([left.epoch.version, right.epoch.version], [2, 2]);
  const count = async (r: RegionId, from: string, to: string) => ((await c.call(r, get(from, to))) as RangeResponse).kvs.length;
  assert.equal((await count(left.id, '\0', cut)) + (await count(right.id, cut, '\0')), 200);
});

test('the lane serves while the split scan is out, and refuses the answer once the region has changed', async (t) => {
  const jobs = heldJobs();
  const pool = new JobPool();
  t.after(() => pool.close());
  const c = new OneStore(t, jobs);
  await c.start();
  await fill(c, 50);

  const split = c.call(region1.id, splitAnywhere(2));
  const refused = split.then(
    () => assert.fail('a split found for a region that has split since went through'),
    (e: unknown) => e,
  );
  await c.until('the split scan asked for', () => jobs.held.length === 1);
  const scan = jobs.held.shift()!;
  assert.equal(scan.job.kind, 'splitKey');
  // Out: the lane goes on writing and reading, and splits the region by a given key meanwhile.
  await c.call(region1.id, put('k999', 'x'));
  assert.deepEqual(((await c.call(region1.id, get('k999'))) as RangeResponse).kvs.map((kv) => s(kv.value)), ['x']);
  await c.call(region1.id, splitAt('k020', 3));
  await c.until('region 3 reported', () => c.reports.get(id<RegionId>(3)) !== undefined);
  assert.equal(c.reports.get(region1.id)!.region.epoch.version, 2);

  // The answer, as the pool computes it for the region as it was asked (the whole key space).
  scan.answer(await pool.run(scan.job));
  const e = await refused;
  assert.equal(codeOf(e), 'EpochNotMatch', `refused as stale, not ${JSON.stringify(e)}`);
  // The region as it is now: split again from it, with the pool answering this time.
  const now = c.reports.get(region1.id)!.region;
  assert.equal(s(now.start), 'k020');
  const again = c.call(region1.id, splitAnywhere(4));
  await c.until('the second split scan asked for', () => jobs.held.length === 1);
  const second = jobs.held.shift()!;
  assert.equal(second.job.kind === 'splitKey' && s(second.job.span.start), 'k020');
  second.answer(await pool.run(second.job));
  await again;
  await c.until('region 4 reported', () => c.reports.get(id<RegionId>(4)) !== undefined);
  const mid = s(c.reports.get(id<RegionId>(4))!.region.end);
  assert.ok(mid > 'k020' && mid <= 'k999', `cut inside [k020, end), not ${mid}`);
});

test('a failed split scan fails the call, and the lane goes on', async (t) => {
  const jobs = heldJobs();
  const c = new OneStore(t, jobs);
  await c.start();
  await fill(c, 5);
  const split = c.call(region1.id, splitAnywhere(2)).then(
    () => assert.fail('went through'),
    (e: unknown) => e,
  );
  await c.until('the split scan asked for', () => jobs.held.length === 1);
  jobs.held.shift()!.fail(new Error('job splitKey: the pool is closed'));
  const e = (await split) as { code?: string; message?: string };
  assert.equal(e.code, 'Unavailable');
  assert.match(e.message ?? '', /the pool is closed/);
  await c.call(region1.id, put('after', 'x'));
});

test('region sizes come from the pool; a size measured for a region that split meanwhile is dropped and measured again', async (t) => {
  const jobs = heldJobs();
  const pool = new JobPool();
  t.after(() => pool.close());
  const c = new OneStore(t, jobs);
  await c.start();
  await fill(c, 100);
  c.lane.reportStats(0); // the first call starts the clock
  c.lane.reportStats(1000);
  await c.until('a measure job', () => jobs.held.length === 1);
  const measure = jobs.held.shift()!;
  assert.equal(measure.job.kind, 'measure');
  assert.equal(c.stats.length, 0, 'the report waits for the sizes');
  // A round while the first one measures adds nothing (its counts wait for the next).
  c.lane.reportStats(2000);
  assert.equal(jobs.held.length, 0);

  await c.call(region1.id, splitAt('k050', 2));
  await c.until('region 2 led here', () => c.reports.get(id<RegionId>(2))?.isLeader === true);
  measure.answer(await pool.run(measure.job));
  await c.until('the report', () => c.stats.length === 1);
  assert.deepEqual(c.stats[0], [], 'region 1 split after it was measured: no size of the old shape');

  c.lane.reportStats(3000);
  await c.until('a measure job', () => jobs.held.length === 1);
  const next = jobs.held.shift()!;
  next.answer(await pool.run(next.job));
  await c.until('the second report', () => c.stats.length === 2);
  const byRegion = new Map(c.stats[1]!.map((st) => [st.region as number, st]));
  assert.equal(byRegion.get(2)?.approximateKeys, 50);
  assert.equal(byRegion.get(1)?.approximateKeys, 50);
  assert.ok(byRegion.get(1)!.approximateBytes > 50 * 100 && byRegion.get(2)!.approximateBytes > 50 * 100);
});
