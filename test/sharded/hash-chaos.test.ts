// Hash mode under a nemesis, short enough for `npm test` (about 20 s of load): 6 clients (4 over
// gRPC, 2 over the JSON gateway, spread over the 3 stores) put, get and compare-and-swap 36 keys
// while slots move between the 3 hash groups (A, B, C by ID), in sequence:
//
//   1. A -> B  the lower half of A's slots, a wide run holding some of the keys;
//   2. B -> A  the slots of every other key B holds, one by one (some just came from A);
//   3. C -> B  the upper half of C's slots;
//   4. B -> C  the slots of every other key B holds (keys of all three groups by now);
//   5. A -> C  the slots of every other key A holds; the store leading A is SIGKILLed as soon
//              as PD shows the move begun, and restarted on its data dir once it is done;
//   6. C -> A  the slots of every other key C holds, with the restarted store taking part.
//
// A frozen slot answers RegionBusy and the router retries, so clients only see slower answers.
// See chaos.ts for what is checked; each property is its own test.
//
//   CHAOS_SEED=N (default 11) picks the clients' choices; CHAOS_LOG=FILE writes the timeline as it happens.

import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import {
  fastRaftFlags, groupOfKey, outsideSigterm, slotOfKey, startRangeCluster, waitSettled, waitUntil, type RangeCluster, type RegionJson, type SlotRanges,
} from '../support/sharded.js';
import { slotCount } from '../../src/router/slots.js';
import { chaosPropertyTests, checkChaos, killAndRestart, moveSlots, runChaos, type ChaosResult, type NemesisContext, type Verdicts } from './chaos.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Move {
  from: number;
  to: number;
  slots: SlotRanges;
  /** The test's keys in those slots. */
  keys: string[];
}

/** Every other one of the keys group `id` holds, in slot order: their slots, one range each. */
function everyOtherKeySlot(gs: readonly RegionJson[], keys: readonly string[], id: number): SlotRanges {
  const slots = [...new Set(keys.filter((k) => groupOfKey(gs, k).id === id).map(slotOfKey))].sort((a, b) => a - b);
  return slots.filter((_, i) => i % 2 === 0).map((s) => [s, s] as const);
}

/** The lower or upper half of group `id`'s first run of slots. */
function halfRun(gs: readonly RegionJson[], id: number, half: 'lower' | 'upper'): SlotRanges {
  const [a, b] = gs.find((g) => g.id === id)!.slots![0]!;
  const mid = Math.floor((a + b) / 2);
  return [half === 'lower' ? [a, mid] : [mid + 1, b]];
}

describe('hash mode: puts, gets and cas stay linearizable while slots move between groups, one move across a store crash', { timeout: 180_000 }, () => {
  let c: RangeCluster | undefined;
  let run: ChaosResult | undefined;
  let v: Verdicts | undefined;
  let failure: Error | undefined;
  let killed: number | undefined;
  const moves: Move[] = [];
  /** Slot -> group, as the moves asked for (from PD's groups before the first one). */
  let expected: Int32Array | undefined;
  const seed = Number(process.env.CHAOS_SEED ?? 11);

  before(async () => {
    // With fsync: a SIGKILLed store must come back with everything it acknowledged.
    c = await startRangeCluster({ mode: 'hash', hashGroups: 3, stores: 3, lanes: Number(process.env.CHAOS_LANES ?? 2), storeFlags: fastRaftFlags });
    try {
      run = await runChaos({
        cluster: c,
        clients: 6,
        gatewayClients: 2,
        keys: 36,
        seed,
        requestTimeoutMs: 5000,
        tailMs: 2000,
        ...(process.env.CHAOS_LOG ? { log: (l: string) => appendFileSync(process.env.CHAOS_LOG!, `${l}\n`) } : {}),
        nemesis: async (ctx: NemesisContext) => {
          await sleep(2000);
          let gs = await waitSettled(ctx.cluster, 'settled groups');
          expected = new Int32Array(slotCount);
          for (const g of gs) for (const [a, b] of g.slots!) expected.fill(g.id, a, b + 1);
          const [A, B, C] = gs.map((g) => g.id) as [number, number, number];
          const move = async (from: number, to: number, slots: SlotRanges) => {
            const keys = ctx.keys.filter((k) => slots.some(([a, b]) => slotOfKey(k) >= a && slotOfKey(k) <= b));
            moves.push({ from, to, slots, keys });
            for (const [a, b] of slots) expected!.fill(to, a, b + 1);
            gs = await moveSlots(ctx, from, to, slots);
          };
          await move(A, B, halfRun(gs, A, 'lower'));
          await sleep(1000);
          await move(B, A, everyOtherKeySlot(gs, ctx.keys, B));
          await sleep(1000);
          await move(C, B, halfRun(gs, C, 'upper'));
          await sleep(1000);
          await move(B, C, everyOtherKeySlot(gs, ctx.keys, B));
          await sleep(1000);
          // The store leading A dies once PD shows A's version bumped (the move's first step,
          // freezing the slots, applied): mid-move or just after it. A's next leader finishes a
          // half-done move; the restarted store catches up on it from its peers.
          const a = gs.find((g) => g.id === A)!;
          const moving = move(A, C, everyOtherKeySlot(gs, ctx.keys, A));
          moving.catch(() => {}); // awaited below, while the store is down
          await waitUntil(`group ${A}'s version to pass ${a.epoch.version}`, async () => ((await ctx.cluster.pd.regions()).some((g) => g.id === A && g.epoch.version > a.epoch.version) ? true : undefined), 20_000, 20);
          killed = await killAndRestart(ctx, { downMs: 2500, victim: a.leader!.storeId, during: () => moving });
          await sleep(1000);
          await move(C, A, everyOtherKeySlot(gs, ctx.keys, C));
        },
      });
      v = checkChaos(`hash chaos (seed ${seed})`, run);
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
    // NB: also those that died during the final reads (their reads fail below without a reason).
    const exited = c!.stores.map((_, i) => i).filter((i) => run.exited.includes(i) || !c!.running(i));
    const dead = exited.map((i) => `---- ${c!.stores[i]!.name} (store ${c!.stores[i]!.id}) exited; its last lines ----\n${c!.storeLog(i).split('\n').slice(-40).join('\n')}`);
    assert.deepEqual(dead, []);
  });

  test('the nemesis moved slots holding the keys 6 times, both ways, and restarted a store', () => {
    const { run } = done();
    assert.equal(run.nemesisError, undefined, run.nemesisLog.join('\n'));
    assert.equal(moves.length, 6, run.nemesisLog.join('\n'));
    for (const m of moves) assert.ok(m.keys.length > 0, `the move of ${JSON.stringify(m.slots)} from group ${m.from} to group ${m.to} holds none of the keys`);
    const pairs = new Set(moves.map((m) => `${m.from}>${m.to}`));
    assert.ok(moves.every((m) => pairs.has(`${m.to}>${m.from}`)), `not every move went both ways: ${[...pairs].join(' ')}`);
    assert.ok(killed !== undefined);
    // PD's final groups own exactly the slots the moves left them.
    assert.equal(run.regions.length, 3);
    const owner = new Int32Array(slotCount).fill(-1);
    for (const g of run.regions) for (const [a, b] of g.slots ?? []) owner.fill(g.id, a, b + 1);
    const wrong: string[] = [];
    for (let s = 0; s < slotCount && wrong.length < 10; s++) if (owner[s] !== expected![s]) wrong.push(`slot ${s}: group ${owner[s]}, expected ${expected![s]}`);
    assert.deepEqual(wrong, [], run.nemesisLog.join('\n'));
    for (const g of run.regions) {
      assert.equal(g.peers.length, 3, `group ${g.id}`);
      assert.ok(g.peers.some((p) => p.storeId === killed), `group ${g.id} keeps its peer on the restarted store ${killed}`);
    }
  });

  chaosPropertyTests(done);
});
