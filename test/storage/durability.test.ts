// Nothing acknowledged is lost: a child process writes in a loop, acknowledging each write on
// stdout only after engine.write() returned; the parent SIGKILLs it at a random point (after a
// seeded random number of acknowledgements, so usually in the middle of a transaction), reopens
// the environment and checks that every acknowledged write is there, and that each transaction
// is all there or not at all. Repeated on the same directory, resuming where the last run stopped.
// NB: SIGKILL tests what a process crash can lose (the kernel keeps written pages); a power cut
// would also need the fsync this engine does (see src/storage/lmdb.ts), which no test here can cut.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { MvccStore } from '../../src/mvcc/index.js';
import { openEngine, type Engine } from '../../src/storage/index.js';
import { Prng } from '../../src/util/prng.js';
import { tempDir } from './tmp.js';

const childEnv = 'FLOTILLA_DURABILITY_CHILD_DIR';
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

function open(dir: string): { engine: Engine; kv: MvccStore; table: ReturnType<Engine['table']> } {
  const engine = openEngine({ path: dir });
  return { engine, kv: new MvccStore(engine), table: engine.table<number>('acks') };
}

/** The child: from the first missing i on, one transaction per i, acknowledged after it returns. */
function child(dir: string): void {
  const { engine, kv, table } = open(dir);
  let i = 0;
  while (table.get(enc(`n${i}`)) !== undefined) i++;
  for (;;) {
    const n = i;
    engine.write(() => {
      table.put(enc(`n${n}`), n);
      kv.put({ key: enc(`key${n}`), value: new Uint8Array(512).fill(n & 0xff), lease: 0n, prevKv: false, ignoreValue: false, ignoreLease: false });
      table.put(enc(`m${n}`), n);
    });
    fs.writeSync(1, `${n}\n`);
    i++;
  }
}

function runAndKill(dir: string, acksBeforeKill: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [fileURLToPath(import.meta.url)], {
      env: { ...process.env, [childEnv]: dir },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const acks: number[] = [];
    let buf = '';
    p.stdout.setEncoding('utf8');
    p.stdout.on('data', (chunk: string) => {
      buf += chunk;
      const lines = buf.split('\n');
      buf = lines.pop()!;
      for (const l of lines) acks.push(Number(l));
      if (acks.length >= acksBeforeKill && p.exitCode === null && !p.killed) p.kill('SIGKILL');
    });
    p.on('error', reject);
    p.on('exit', (_code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`child exited without being killed (${signal})`));
      else resolve(acks);
    });
  });
}

if (process.env[childEnv]) {
  child(process.env[childEnv]);
} else {
  test('every write acknowledged before a SIGKILL is there after reopening, each all or nothing', async () => {
    const dir = tempDir();
    const seed = 424242;
    const rand = new Prng(seed);
    try {
      let acked = -1;
      for (let round = 0; round < 5; round++) {
        const acks = await runAndKill(dir, 1 + rand.int(300));
        assert.ok(acks.length > 0, `seed ${seed} round ${round}: the child acknowledged nothing`);
        acked = Math.max(acked, ...acks);
        const { engine, kv, table } = open(dir);
        try {
          let present = 0;
          while (table.get(enc(`n${present}`)) !== undefined) present++;
          assert.ok(present > acked, `seed ${seed} round ${round}: acknowledged ${acked}, only ${present} writes present`);
          for (let i = 0; i <= present; i++) {
            const parts = [table.get(enc(`n${i}`)) !== undefined, table.get(enc(`m${i}`)) !== undefined, kv.range({ key: enc(`key${i}`), rangeEnd: new Uint8Array(0), limit: 0, revision: 0, sortOrder: 'NONE', sortTarget: 'KEY', serializable: false, keysOnly: true, countOnly: false, minModRevision: 0, maxModRevision: 0, minCreateRevision: 0, maxCreateRevision: 0 }).count === 1];
            assert.ok(parts.every((x) => x === (i < present)), `seed ${seed} round ${round}: write ${i} is partly there: ${parts}`);
          }
          assert.equal(kv.currentRevision(), present + 1, `seed ${seed} round ${round}: one revision per write`);
        } finally {
          await engine.close();
        }
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}
