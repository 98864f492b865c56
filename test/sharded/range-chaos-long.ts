// The long range-mode chaos run, by hand (not part of `npm test`: its name does not end in
// .test.js). Same clients and checks as range-chaos.test.ts (see chaos.ts), more nemesis:
//
//   npx tsc -p . && node dist/test/sharded/range-chaos-long.js              # 6 rounds, seed 1
//   CHAOS_ROUNDS=12 CHAOS_SEED=7 CHAOS_LANES=2 CHAOS_SPLIT_WHILE_DOWN=0 node dist/test/sharded/range-chaos-long.js
//
// Each round, in sequence: a split at a random key, a leader transfer of a random region, a
// merge of a random region into its left neighbour (every other round), a store SIGKILLed (alternately the one leading the most regions and a random one) with a split
// asked for while it is down (so the restarted store catches up on a split it missed), its
// restart on the same data dir, and one more split. Rounds * 3 splits in all, capped so that
// regions keep a few keys each. Prints the timeline and one summary line; exits 1 on a failed check.

import { fastRaftFlags, outsideSigterm, startRangeCluster } from '../support/sharded.js';
import { checkChaos, killAndRestart, merge, runChaos, split, transferLeader, type NemesisContext } from './chaos.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<number> {
  const rounds = Number(process.env.CHAOS_ROUNDS ?? 6);
  const seed = Number(process.env.CHAOS_SEED ?? 1);
  const keys = 96;
  // CHAOS_SPLIT_WHILE_DOWN=0 leaves out the splits while a store is down.
  const splitWhileDown = process.env.CHAOS_SPLIT_WHILE_DOWN !== '0';
  const log = (line: string) => void process.stdout.write(`${line}\n`);
  const lanes = Number(process.env.CHAOS_LANES ?? 2);
  log(`range chaos, long: ${rounds} rounds, seed ${seed}, ${keys} keys, 8 clients (3 over the JSON gateway), 3 stores of ${lanes} lane(s)`);
  const c = await startRangeCluster({ stores: 3, lanes, storeFlags: fastRaftFlags });
  try {
    const used = new Set<string>();
    /** A key to split at that no region starts at yet, among the clients' keys. */
    const freshKey = (ctx: NemesisContext): string | undefined => {
      const free = ctx.keys.filter((k) => !used.has(k) && k !== ctx.keys[0]);
      if (free.length === 0 || used.size >= keys / 4) return undefined;
      const k = free[ctx.rand.int(free.length)]!;
      used.add(k);
      return k;
    };
    const maybeSplit = async (ctx: NemesisContext) => {
      const k = freshKey(ctx);
      if (k !== undefined) await split(ctx, k);
    };
    const run = await runChaos({
      cluster: c,
      clients: 8,
      gatewayClients: 3,
      keys,
      seed,
      requestTimeoutMs: 5000,
      tailMs: 3000,
      log,
      nemesis: async (ctx) => {
        await sleep(2000);
        for (let round = 0; round < rounds; round++) {
          ctx.log(`round ${round + 1} of ${rounds}`);
          await maybeSplit(ctx);
          await sleep(1000);
          const key = ctx.keys[ctx.rand.int(ctx.keys.length)]!;
          await transferLeader(ctx, key);
          await sleep(1000);
          if (round % 2 === 1 && used.size > 0) {
            // A boundary made by an earlier split goes away (and its key may be split at again).
            const k = [...used][ctx.rand.int(used.size)]!;
            await merge(ctx, k);
            used.delete(k);
            await sleep(1000);
          }
          await killAndRestart(ctx, {
            downMs: 3000,
            victim: round % 2 === 0 ? 'most-leaders' : 'random',
            during: async () => {
              if (!splitWhileDown) return;
              await sleep(500);
              await maybeSplit(ctx);
            },
          });
          await sleep(1000);
          await maybeSplit(ctx);
          await sleep(1000);
        }
      },
    });
    const v = checkChaos(`range chaos long (seed ${seed}, ${rounds} rounds)`, run);
    const failures: string[] = [];
    if (run.nemesisError) failures.push(`the nemesis stopped early: ${run.nemesisError}`);
    for (const i of run.exited) failures.push(`${run.storeNames[i]} exited: ${c.storeLog(i).split('\n').filter((l) => /failed|Error/.test(l)).slice(-3).join(' / ')}`);
    if (!v.linearizable.ok) failures.push(`not linearizable: ${v.linearizable.message}`);
    if (!v.teeth.ok) failures.push(`the checker has no teeth on this history: ${v.teeth.message}`);
    if (v.lostWrites.length > 0) failures.push(`lost writes:\n  ${v.lostWrites.join('\n  ')}`);
    if (v.revisions.length > 0) failures.push(`revisions:\n  ${v.revisions.join('\n  ')}`);
    log(`regions at the end: ${run.regions.map((r) => `${r.id} [${r.start}, ${r.end || '(end)'}) leader@${r.leader?.storeId}`).join('; ')}`);
    log(v.summary);
    for (const f of failures) log(`FAIL ${f}`);
    return failures.length === 0 ? 0 : 1;
  } catch (err) {
    log(`FAIL the run did not finish: ${(err as Error).stack}`);
    for (let i = 0; i < c.stores.length; i++) log(`---- ${c.stores[i]!.name} (store ${c.stores[i]!.id}) ----\n${c.storeLog(i).split('\n').slice(-30).join('\n')}`);
    log(outsideSigterm(c));
    return 1;
  } finally {
    await c.stop();
  }
}

if (process.env.NODE_TEST_CONTEXT === undefined) {
  main().then(
    (code) => (process.exitCode = code),
    (err) => {
      process.stderr.write(`range-chaos-long: ${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
