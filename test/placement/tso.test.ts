import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Prng } from '../../src/util/prng.js';
import { AssertionFailure } from '../../src/util/assert.js';
import {
  allocateCountMax,
  composeTimestamp,
  logicalCount,
  physicalMsMax,
  TimestampOracle,
  timestampLogical,
  timestampPhysicalMs,
  TsoError,
} from '../../placement/tso.js';

const epochMs = 1_700_000_000_000;

/** A fake durable slot for the window end, recording every save. */
function slot(initial?: number) {
  const s = {
    value: initial as number | undefined,
    saves: 0,
    fail: false,
    save: async (v: number) => {
      await Promise.resolve();
      if (s.fail) throw new Error('not leader');
      s.saves++;
      s.value = v;
    },
  };
  return s;
}

test('composes and splits timestamps: physical ms shifted by 12 bits plus a logical counter', () => {
  const ts = composeTimestamp(5, 7);
  assert.equal(ts, 5 * 4096 + 7);
  assert.equal(timestampPhysicalMs(ts), 5);
  assert.equal(timestampLogical(ts), 7);
  assert.equal(physicalMsMax * logicalCount, 2 ** 53);
});

test('saves a window before handing out the first timestamp, and stays inside it', async () => {
  let now = epochMs + 5;
  const s = slot();
  const tso = new TimestampOracle({ clock: () => now, epochMs, savedWindowEndMs: undefined, save: s.save });
  const ts = await tso.allocate(1);
  assert.equal(ts, 5 * 4096);
  assert.equal(s.saves, 1);
  assert.ok(timestampPhysicalMs(ts) < s.value!);
  assert.equal(await tso.allocate(1), 5 * 4096 + 1);
  now += 10;
  assert.equal(await tso.allocate(1), 15 * 4096);
  assert.equal(s.saves, 1, 'no save needed inside the window');
});

test('strictly increasing over 100k allocations while the clock jumps back and forth', async () => {
  const rand = new Prng(42);
  let now = epochMs + 1_000;
  const s = slot();
  const tso = new TimestampOracle({ clock: () => now, epochMs, savedWindowEndMs: undefined, save: s.save });
  let prevLast = 0;
  for (let i = 0; i < 100_000; i++) {
    const r = rand.int(1000);
    if (r < 5) now -= rand.int(10_000); // the clock jumps back up to 10 s
    else if (r < 8) now += rand.int(20_000); // or forward
    else if (r < 400) now += 1;
    const count = r === 999 ? 5_000 : 1 + rand.int(8);
    const first = await tso.allocate(count);
    const last = first + count - 1;
    assert.ok(first > prevLast, `allocation ${i}: ${first} after ${prevLast}`);
    assert.ok(timestampPhysicalMs(last) < s.value!, 'handed out a timestamp past the saved window');
    assert.ok(last < 2 ** 53);
    prevLast = last;
  }
});

test('a logical overflow moves the physical part one ms ahead of a stuck clock', async () => {
  const now = epochMs + 100;
  const tso = new TimestampOracle({ clock: () => now, epochMs, savedWindowEndMs: undefined, save: slot().save });
  const a = await tso.allocate(4096);
  assert.equal(a, composeTimestamp(100, 0));
  const b = await tso.allocate(1);
  assert.equal(b, composeTimestamp(101, 0));
  // A batch crossing a ms: consecutive integers, (101, 1..4095) then (102, 0..1).
  const c = await tso.allocate(4097);
  assert.equal(c, composeTimestamp(101, 1));
  assert.equal(await tso.allocate(1), composeTimestamp(102, 2));
});

test('refuses a count of 0, a fraction or one above allocateCountMax', async () => {
  const tso = new TimestampOracle({ clock: () => epochMs, epochMs, savedWindowEndMs: undefined, save: slot().save });
  for (const bad of [0, -1, 1.5, allocateCountMax + 1]) {
    await assert.rejects(tso.allocate(bad), (e: unknown) => e instanceof TsoError && e.code === 'TsoCountInvalid');
  }
  assert.ok((await tso.allocate(allocateCountMax)) >= 1);
});

test('a new leader loading the saved window starts above everything the old leader handed out', async () => {
  const s = slot();
  let now = epochMs + 50_000;
  const old = new TimestampOracle({ clock: () => now, epochMs, savedWindowEndMs: s.value, save: s.save });
  let oldMax = 0;
  for (let i = 0; i < 1000; i++) oldMax = (await old.allocate(3)) + 2;
  // The new leader's clock is 2 s behind the old one's.
  const newClock = () => now - 2_000;
  const fresh = new TimestampOracle({ clock: newClock, epochMs, savedWindowEndMs: s.value, save: s.save });
  const first = await fresh.allocate(1);
  assert.ok(first > oldMax, `${first} <= ${oldMax}`);
  // The old leader does not know it lost: it can only hand out timestamps in its old window,
  // which are all below the new leader's.
  now += 100;
  const stale = await old.allocate(1);
  assert.ok(stale < first);
});

test('a restart never repeats a timestamp, with the clock set back an hour', async () => {
  const s = slot();
  let now = epochMs + 10_000_000;
  let max = 0;
  for (let run = 0; run < 5; run++) {
    const tso = new TimestampOracle({ clock: () => now, epochMs, savedWindowEndMs: s.value, save: s.save });
    for (let i = 0; i < 500; i++) {
      const t = await tso.allocate(1);
      assert.ok(t > max);
      max = t;
    }
    now -= 3_600_000;
  }
});

test('concurrent allocations get disjoint ranges while a save is in flight', async () => {
  const s = slot();
  const tso = new TimestampOracle({ clock: () => epochMs + 7, epochMs, savedWindowEndMs: undefined, save: s.save });
  const counts = Array.from({ length: 50 }, (_, i) => 1 + (i % 7) * 700);
  const firsts = await Promise.all(counts.map((n) => tso.allocate(n)));
  const ranges = firsts.map((f, i) => [f, f + counts[i]! - 1] as const).sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < ranges.length; i++) assert.ok(ranges[i]![0] > ranges[i - 1]![1]);
});

test('a failed save hands out nothing past the old window; the next allocate retries', async () => {
  const s = slot();
  let now = epochMs + 1000;
  const tso = new TimestampOracle({ clock: () => now, epochMs, savedWindowEndMs: undefined, save: s.save });
  await tso.allocate(1);
  const window = tso.windowEndMs;
  now += 10_000;
  s.fail = true;
  await assert.rejects(tso.allocate(1), /not leader/);
  assert.equal(tso.windowEndMs, window);
  s.fail = false;
  const t = await tso.allocate(1);
  assert.ok(timestampPhysicalMs(t) < tso.windowEndMs && tso.windowEndMs > window);
});

test('extendWindowIfLow saves ahead of need, so allocate does not wait', async () => {
  const s = slot();
  let now = epochMs;
  const tso = new TimestampOracle({ clock: () => now, epochMs, savedWindowEndMs: undefined, save: s.save, windowMs: 3000, windowRefreshMs: 1000 });
  await tso.allocate(1);
  assert.equal(s.saves, 1);
  now += 1500;
  await tso.extendWindowIfLow();
  assert.equal(s.saves, 1, '1.5 s of window left: nothing to do');
  now += 1000;
  await tso.extendWindowIfLow();
  assert.equal(s.saves, 2);
  assert.equal(tso.windowEndMs, 2500 + 3000);
});

test('never hands out a timestamp at or above 2^53: it stops with an assertion at 2^41 ms', async () => {
  let now = epochMs + physicalMsMax - 3;
  const tso = new TimestampOracle({ clock: () => now, epochMs, savedWindowEndMs: undefined, save: slot().save });
  let last = 0;
  let stopped = false;
  for (let i = 0; i < 10 && !stopped; i++) {
    try {
      last = (await tso.allocate(4096)) + 4095;
      assert.ok(last < 2 ** 53);
      assert.ok(Number.isSafeInteger(last));
    } catch (e) {
      assert.ok(e instanceof AssertionFailure, String(e));
      stopped = true;
    }
    now++;
  }
  assert.ok(stopped);
  assert.equal(last, 2 ** 53 - 1);
});
