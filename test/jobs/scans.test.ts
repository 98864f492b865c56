// The scan jobs give the numbers the lane's own MvccStore gives, when run in the store's pool: a
// thread of its own opening the tablet's LMDB environment read-only while the writer keeps it
// open (the case of a lane), and alone once the writer closed it.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { MvccStore } from '../../src/mvcc/index.js';
import { openEngine, type Engine } from '../../src/storage/index.js';
import type { TabletSpan } from '../../regions/jobs/jobs.js';
import { JobPool } from '../../regions/jobs/pool.js';
import { jobsOnThisThread } from '../../regions/jobs/run.js';
import { splitKeyNearMiddleOf } from '../../regions/jobs/split_key.js';
import { b, delReq, putReq } from '../mvcc/helpers.js';
import { tempDir } from '../storage/tmp.js';

const pad = (n: number) => String(n).padStart(5, '0');
const empty = new Uint8Array(0);

/**
 * A tablet written through the MVCC layer as a lane writes it (explicit revisions): 3000 keys,
 * some rewritten, some deleted, some longer than the inline limit; and a second tablet (a hash
 * group's) with a few keys. Returns the open engine and stores.
 */
function writeTablets(dir: string): { engine: Engine; kv: MvccStore; group: MvccStore } {
  const engine = openEngine({ path: dir, noSync: true, tablesMax: 64 });
  const kv = new MvccStore(engine, { name: 'tablet', inlineKeyBytesMax: 16 });
  const group = new MvccStore(engine, { name: 'group7' });
  let rev = 100;
  engine.write(() => {
    for (let i = 0; i < 3000; i++) kv.put(putReq(`k${pad(i)}`, 'v'.repeat(10 + (i % 50))), ++rev);
    for (let i = 0; i < 3000; i += 7) kv.put(putReq(`k${pad(i)}`, 'w'.repeat(200)), ++rev);
    for (let i = 0; i < 40; i++) kv.put(putReq(`k${pad(1500)}/a-long-key-past-the-inline-limit/${i}`, 'x'), ++rev);
    for (let i = 0; i < 20; i++) group.put(putReq(`g${i}`, 'y'.repeat(i)), ++rev);
  });
  engine.write(() => {
    for (let i = 0; i < 3000; i += 11) kv.deleteRange(delReq(`k${pad(i)}`), ++rev);
  });
  return { engine, kv, group };
}

const spans: TabletSpan[] = [
  { tablet: 'tablet', start: empty, end: empty },
  { tablet: 'tablet', start: b('k00100'), end: b('k00200') },
  { tablet: 'tablet', start: b('k01000'), end: b('k02000') },
  // Bounds inside the bucket of long keys (countRange walks there).
  { tablet: 'tablet', start: b(`k${pad(1500)}/a-long-key-past-the-inline-limit/1`), end: b(`k${pad(1500)}/a-long-key-past-the-inline-limit/3`) },
  { tablet: 'tablet', start: b('k02990'), end: empty },
  { tablet: 'tablet', start: b('z'), end: empty },
  { tablet: 'group7', start: empty, end: empty },
];

function inThread(stores: Record<string, MvccStore>) {
  return {
    sizes: spans.map(({ tablet, start, end }) => ({ bytes: stores[tablet]!.approximateBytes(start, end), keys: stores[tablet]!.countRange(start, end) })),
    cuts: spans.map(({ tablet, start, end }) => splitKeyNearMiddleOf(stores[tablet]!, start, end)),
  };
}

async function byJobs(jobs: { run: JobPool['run'] }, dir: string) {
  const sizes = await jobs.run({ kind: 'measure', path: dir, spans });
  const cuts = await Promise.all(spans.map(async (span) => (await jobs.run({ kind: 'splitKey', path: dir, span })).key));
  return { sizes, cuts: cuts.map((k) => (k === undefined ? undefined : new Uint8Array(k))) };
}

test('measure and splitKey in the pool answer as the writer\'s MvccStore does, while the writer keeps the environment open', async (t) => {
  const dir = tempDir('flotilla-jobs-');
  const pool = new JobPool();
  const { engine, kv, group } = writeTablets(dir);
  t.after(async () => {
    await pool.close();
    await engine.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const want = inThread({ tablet: kv, group7: group });
  assert.ok(want.sizes[0]!.keys > 2000 && want.sizes[0]!.bytes > 100_000, 'the tablet holds what was written');
  assert.ok(want.cuts[0] !== undefined && want.cuts[5] === undefined, 'the whole tablet has a middle, an empty span none');
  assert.deepEqual(await byJobs(pool, dir), want);
  assert.deepEqual(await byJobs(jobsOnThisThread, dir), want, 'the same job run on this thread');

  // The writer goes on; a job started after a commit sees it.
  engine.write(() => {
    for (let i = 0; i < 500; i++) kv.put(putReq(`k${pad(i)}`, 'z'.repeat(300)), 20_000 + i);
  });
  assert.deepEqual(await byJobs(pool, dir), inThread({ tablet: kv, group7: group }));
});

test('the jobs read an environment no thread has open, and leave it as it was', async (t) => {
  const dir = tempDir('flotilla-jobs-');
  const pool = new JobPool();
  t.after(async () => {
    await pool.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const { engine, kv, group } = writeTablets(dir);
  const want = inThread({ tablet: kv, group7: group });
  await engine.close();
  const before = fs.readdirSync(dir).sort();
  assert.deepEqual(await byJobs(pool, dir), want);
  assert.deepEqual(fs.readdirSync(dir).sort(), before);
  // Opened again for writing afterwards: the jobs' read-only handle did not stay behind.
  const again = openEngine({ path: dir, noSync: true, tablesMax: 64 });
  const kv2 = new MvccStore(again, { name: 'tablet' });
  kv2.put(putReq('after', 'x'), 30_000);
  assert.equal(kv2.countRange(b('after'), b('afts')), 1);
  await again.close();
});

test('a job on a directory with no environment, or a tablet not there, fails with the reason and creates nothing', async (t) => {
  const dir = tempDir('flotilla-jobs-');
  const pool = new JobPool();
  t.after(async () => {
    await pool.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const missing = path.join(dir, 'lane-9');
  await assert.rejects(pool.run({ kind: 'measure', path: missing, spans }), /no LMDB environment there/);
  assert.equal(fs.existsSync(missing), false, 'the job made no directory');
  const { engine } = writeTablets(dir);
  await engine.close();
  await assert.rejects(pool.run({ kind: 'splitKey', path: dir, span: { tablet: 'group8', start: empty, end: empty } }), /not found/i);
  // The pool goes on after a failed job.
  const sizes = await pool.run({ kind: 'measure', path: dir, spans: [spans[1]!] });
  assert.equal(sizes.length, 1);
  assert.ok(sizes[0]!.keys > 0);
});
