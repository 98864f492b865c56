// Randomized: a random cluster of 5-8 stores and 50 regions, most of them piled on a few
// stores; PD runs its schedulers every round and the model carries out one step of each
// operator in flight with some chance. After every round: never two peers of one region on one
// store, never fewer than replicas - 1 voters, one operator per region (the controller asserts
// it). In the end the cluster converges: every region healthy, leader and region counts per
// store within the balance tolerance. A failure names the seed that replays it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Prng } from '../../src/util/prng.js';
import type { ClusterSnapshot } from '../../placement/cluster.js';
import { OperatorController } from '../../placement/operator_controller.js';
import { balanceTolerance, runSchedulers } from '../../placement/schedulers/index.js';
import { isHealthy } from '../../placement/schedulers/candidates.js';
import { config, counterIds, MiB } from './fixtures.js';
import { Model } from './model.js';

const cfg = config({ replicas: 3 });

interface Outcome {
  rounds: number;
  converged: boolean;
  kinds: Map<string, number>;
  ended: Map<string, number>;
  why: string;
}

function balanced(snap: ClusterSnapshot): string | undefined {
  const up = [...snap.stores.values()].filter((s) => s.state === 'up');
  for (const info of snap.regions.values()) if (!isHealthy(snap, info, cfg)) return `region ${info.region.id} is not healthy`;
  for (const what of ['regionCount', 'leaderCount'] as const) {
    const counts = up.map((s) => s[what]);
    const mean = counts.reduce((a, b) => a + b, 0) / counts.length;
    const gap = Math.max(...counts) - Math.min(...counts);
    if (gap > balanceTolerance(mean, cfg)) return `${what} gap ${gap}: ${counts.join(' ')}`;
  }
  return undefined;
}

function simulate(seed: number, o: { kill?: boolean; churn?: boolean; grow?: boolean }): Outcome {
  const rand = new Prng(seed);
  const ids = counterIds(1);
  const model = new Model(rand.fork(), ids, { stores: 5 + rand.int(4), regions: 50, replicas: 3, skew: true });
  const schedRand = rand.fork();
  const ctl = new OperatorController();
  const kinds = new Map<string, number>();
  const ended = new Map<string, number>();
  const churnRounds = o.churn ? 150 : 0;
  let stable = 0;
  let why = '';
  for (let round = 1; round <= 1500; round++) {
    model.nowMs += 1000;
    if (o.kill && round === 30) {
      const alive = [...model.stores].filter(([, s]) => s.alive).map(([id]) => id);
      model.kill(alive[rand.int(alive.length)]!);
    }
    if (o.grow && round === 60) model.addStore();
    if (round <= churnRounds) {
      for (let k = 0; k < 3; k++) {
        const regions = [...model.regions.values()];
        const r = regions[rand.int(regions.length)]!;
        r.bytes = (2 + rand.int(130)) * MiB;
        r.keys = Math.floor(r.bytes / 500);
        r.writeQps = rand.chance(0.1) ? 3000 : 0;
      }
    } else if (round === churnRounds + 1 && o.churn) {
      // Calm: sizes between the merge and split limits, no load, so only balance has work.
      for (const r of model.regions.values()) Object.assign(r, { bytes: 50 * MiB, keys: 100_000, writeQps: 0, readQps: 0 });
    }

    for (const op of ctl.inFlight()) if (rand.chance(0.7)) model.apply(op);
    model.electLeaders();
    const snap = model.snapshot();
    for (const e of ctl.check(snap)) ended.set(e.status, (ended.get(e.status) ?? 0) + 1);
    model.checkInvariants(cfg.replicas);

    const ops = runSchedulers(snap, cfg, { rand: schedRand, ids, inFlight: ctl.inFlight() });
    for (const op of ops) {
      ctl.add(op); // asserts the region has no operator in flight
      kinds.set(op.kind, (kinds.get(op.kind) ?? 0) + 1);
    }

    const lastEvent = Math.max(churnRounds, o.grow ? 60 : 0, o.kill ? 30 : 0);
    const notYet = round <= lastEvent ? 'waiting for the last event' : ctl.inFlight().length > 0 ? 'operators in flight' : balanced(snap);
    if (notYet === undefined) {
      if (++stable >= 3) return { rounds: round, converged: true, kinds, ended, why: '' };
    } else {
      stable = 0;
      why = notYet;
    }
  }
  return { rounds: 1500, converged: false, kinds, ended, why };
}

test('random clusters converge to balanced leaders and regions, never breaking a region on the way', () => {
  for (let seed = 1; seed <= 8; seed++) {
    const out = simulate(seed, {});
    assert.ok(out.converged, `seed ${seed}: not converged after ${out.rounds} rounds: ${out.why}`);
    assert.ok((out.kinds.get('balance-region') ?? 0) > 0, `seed ${seed}: nothing moved`);
  }
});

test('a store dies and another joins: its regions are repaired and the cluster rebalances', () => {
  for (let seed = 101; seed <= 106; seed++) {
    const out = simulate(seed, { kill: true, grow: true });
    assert.ok(out.converged, `seed ${seed}: not converged after ${out.rounds} rounds: ${out.why}`);
    assert.ok((out.kinds.get('replica-repair') ?? 0) > 0, `seed ${seed}: nothing repaired`);
  }
});

test('with sizes and load churning (splits, merges, hot regions) and a store dying, invariants hold and it settles', () => {
  for (let seed = 201; seed <= 206; seed++) {
    const out = simulate(seed, { kill: true, churn: true });
    assert.ok(out.converged, `seed ${seed}: not converged after ${out.rounds} rounds: ${out.why}`);
    for (const kind of ['split', 'replica-repair']) assert.ok((out.kinds.get(kind) ?? 0) > 0, `seed ${seed}: no ${kind} ${[...out.kinds]}`);
  }
});

