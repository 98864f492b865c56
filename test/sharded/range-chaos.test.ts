// Range mode under a nemesis, short enough for `npm test` (about 30 s of load): 6 clients (4
// over gRPC, 2 over the JSON gateway, spread over the 3 stores) put, get and compare-and-swap 36
// keys while, in sequence: 4 splits, a leader transfer, a merge (of [ck/27, ck/31) into the
// region on its left), a store SIGKILLed and restarted on its data dir, and the split at ck/27
// again (so the restarted store takes part in one). See chaos.ts for what
// is checked; each property is its own test. range-chaos-long.ts is the longer variant.
//
//   CHAOS_SEED=N (default 11) picks the clients' choices; CHAOS_LOG=FILE writes the timeline as it happens.

import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { fastRaftFlags, outsideSigterm, startRangeCluster, type RangeCluster } from '../support/sharded.js';
import { chaosPropertyTests, checkChaos, killAndRestart, merge, runChaos, split, transferLeader, type ChaosResult, type Verdicts } from './chaos.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const splitKeys = ['ck/18', 'ck/09', 'ck/27', 'ck/31'];

describe('range mode: puts, gets and cas stay linearizable through splits, a leader transfer, a merge and a store crash', { timeout: 180_000 }, () => {
  let c: RangeCluster | undefined;
  let run: ChaosResult | undefined;
  let v: Verdicts | undefined;
  let failure: Error | undefined;
  let killed: number | undefined;
  const seed = Number(process.env.CHAOS_SEED ?? 11);

  before(async () => {
    // With fsync: a SIGKILLed store must come back with everything it acknowledged.
    // Two lanes per store, so regions spread over threads and restarts reopen both
    // (CHAOS_LANES sets another count).
    c = await startRangeCluster({ stores: 3, lanes: Number(process.env.CHAOS_LANES ?? 2), storeFlags: fastRaftFlags });
    try {
      run = await runChaos({
        cluster: c,
        clients: 6,
        gatewayClients: 2,
        keys: 36,
        seed,
        requestTimeoutMs: 5000,
        tailMs: 2000,
        // CHAOS_LOG=FILE: the timeline as it happens (the test prints it only at the end).
        ...(process.env.CHAOS_LOG ? { log: (l: string) => appendFileSync(process.env.CHAOS_LOG!, `${l}\n`) } : {}),
        nemesis: async (ctx) => {
          await sleep(2000);
          for (const k of splitKeys) {
            await split(ctx, k);
            await sleep(1500);
          }
          await transferLeader(ctx, 'ck/20');
          await sleep(1500);
          await merge(ctx, 'ck/27');
          await sleep(1500);
          killed = await killAndRestart(ctx, { downMs: 2500 });
          await sleep(1500);
          await split(ctx, 'ck/27');
        },
      });
      v = checkChaos(`range chaos (seed ${seed})`, run);
      process.stdout.write(`${run.nemesisLog.map((l) => `#   ${l}`).join('\n')}\n${v.summary}\n`);
    } catch (err) {
      failure = err as Error;
    }
  });
  after(async () => {
    await c?.stop();
  });

  /** The run, or the reason it did not finish (with what the stores printed last). */
  const done = (): { run: ChaosResult; v: Verdicts } => {
    if (failure || !run || !v) {
      const logs = c ? c.stores.map((s, i) => `---- ${s.name} (store ${s.id}) ----\n${c!.storeLog(i).split('\n').slice(-25).join('\n')}`).join('\n') : '';
      assert.fail(`the run did not finish: ${failure?.stack ?? 'no result'}\n${run?.nemesisLog.join('\n') ?? ''}\n${logs}${c ? outsideSigterm(c) : ''}`);
    }
    return { run, v };
  };

  test('every store still runs at the end', () => {
    const { run } = done();
    const dead = run.exited.map((i) => `---- ${c!.stores[i]!.name} (store ${c!.stores[i]!.id}) exited; its last lines ----\n${c!.storeLog(i).split('\n').slice(-40).join('\n')}`);
    assert.deepEqual(dead, []);
  });

  test('the nemesis split the key space 5 times, moved a leader, merged two regions and restarted a store', () => {
    const { run } = done();
    assert.equal(run.nemesisError, undefined, run.nemesisLog.join('\n'));
    assert.deepEqual(run.regions.map((r) => r.start), ['""', '"ck/09"', '"ck/18"', '"ck/27"', '"ck/31"'], run.nemesisLog.join('\n'));
    assert.ok(killed !== undefined);
    for (const r of run.regions) {
      assert.equal(r.peers.length, 3, `region ${r.id}`);
      assert.ok(r.peers.some((p) => p.storeId === killed), `region ${r.id} keeps its peer on the restarted store ${killed}`);
    }
  });

  chaosPropertyTests(done);
});
