// Watch fan-out: W watchers of one prefix (spread over streams of `watchersPerStream` each, one
// connection per stream, connections spread over the endpoints), and one writer putting to keys
// under the prefix at a fixed rate. Measures delivered events per second and the latency from a
// put being sent to each watcher receiving its event, and checks delivery: every watcher must
// see every put exactly once, in revision order.
//
// Worked example, 1,000 watchers, 20 puts/s for 5 s: 100 puts, 100,000 expected events; a
// watcher that sees revision 57 twice counts one duplicate, one that never sees put #42 one loss.

import { KvConnection, WatchConnection, type WatchEvent } from './grpc.js';
import { prefixEnd, randomValue, valueBytes } from './keys.js';
import { LatencyRecorder, type Latency } from './stats.js';
import { Prng } from '../../src/util/prng.js';

export interface WatchOptions {
  readonly endpoints: readonly string[];
  readonly watchers: number;
  readonly putsPerS: number;
  readonly durationMs: number;
  readonly watchersPerStream?: number;
  /** Distinguishes runs, so that each watches a prefix of its own. */
  readonly runId: string;
  readonly seed: number;
  /** Called about every 250 ms with the events delivered so far. */
  readonly onProgress?: (events: number) => void;
}

export interface WatchResult {
  watchers: number;
  streams: number;
  puts: number;
  expectedEvents: number;
  /** Distinct (watcher, revision) events received (lost: expected but not received once delivery went quiet for 10 s). */
  delivered: number;
  lost: number;
  duplicated: number;
  /** Events whose revision was below one the watcher had already seen. */
  outOfOrder: number;
  /** Delivered events per second, from the first put to the last event. */
  eventsPerS: number;
  /** Put sent → event received, over every delivered event. */
  latencyMs: Latency;
  /** Seconds to create every watcher. */
  setupS: number;
  errors: number;
  firstError?: string;
}

interface Watcher {
  lastRevision: number;
  seen: number;
}

/** How long delivery may go quiet, and how long to wait in all, for the last events after the last put. */
const quietMs = 10_000;
const drainMsMax = 120_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runWatchFanout(o: WatchOptions): Promise<WatchResult> {
  const perStream = o.watchersPerStream ?? 100;
  const streamCount = Math.ceil(o.watchers / perStream);
  const prefix = Buffer.from(`bench/w/${o.runId}/`);
  const end = prefixEnd(prefix);
  const latency = new LatencyRecorder();
  const sentAt: number[] = [];
  let delivered = 0;
  let duplicated = 0;
  let outOfOrder = 0;
  let errors = 0;
  let firstError: string | undefined;
  let created = 0;
  let lastEventAt = 0;
  const fail = (err: Error) => {
    errors++;
    firstError ??= err.message;
  };

  const streams: WatchConnection[] = [];
  const watchers: Map<string, Watcher>[] = [];
  const onEvents = (s: number, id: string, events: WatchEvent[]) => {
    const w = watchers[s]!.get(id);
    if (!w) return;
    const now = performance.now();
    lastEventAt = now;
    for (const e of events) {
      if (e.modRevision === w.lastRevision) {
        duplicated++;
        continue;
      }
      if (e.modRevision < w.lastRevision) {
        outOfOrder++;
        duplicated++;
        continue;
      }
      w.lastRevision = e.modRevision;
      w.seen++;
      delivered++;
      const seq = Number(e.key.subarray(prefix.length).toString());
      const t = sentAt[seq];
      if (t !== undefined) latency.record(now - t);
    }
  };

  const writer = new KvConnection(o.endpoints[0]!);
  const progress = o.onProgress ? setInterval(() => o.onProgress!(delivered), 250) : undefined;
  const setupStart = performance.now();
  let puts = 0;
  let firstPutAt = 0;
  try {
    for (let s = 0; s < streamCount; s++) {
      const mine = new Map<string, Watcher>();
      watchers.push(mine);
      streams.push(
        new WatchConnection(o.endpoints[s % o.endpoints.length]!, {
          created: (id) => {
            mine.set(id, { lastRevision: 0, seen: 0 });
            created++;
          },
          events: (id, events) => onEvents(s, id, events),
          ended: (err) => {
            if (err) fail(err);
          },
        }),
      );
    }
    for (let s = 0; s < streamCount; s++) {
      const n = Math.min(perStream, o.watchers - s * perStream);
      for (let i = 0; i < n; i++) streams[s]!.create(prefix, end);
    }
    await writer.ready(10_000);
    const setupDeadline = performance.now() + 60_000 + o.watchers * 10;
    while (created < o.watchers) {
      if (performance.now() > setupDeadline) throw new Error(`watch: only ${created} of ${o.watchers} watchers were created`);
      if (errors > 0) throw new Error(`watch: a stream failed while creating watchers: ${firstError}`);
      await sleep(20);
    }
    const setupS = (performance.now() - setupStart) / 1000;

    // The writer: put number i is due at i / rate seconds; puts are not awaited one by one, so a
    // slow reply does not lower the rate.
    const rand = new Prng(o.seed);
    const value = randomValue(rand, valueBytes);
    const inFlight = new Set<Promise<void>>();
    firstPutAt = performance.now();
    const stopAt = firstPutAt + o.durationMs;
    while (performance.now() < stopAt) {
      const due = Math.floor(((performance.now() - firstPutAt) / 1000) * o.putsPerS) + 1;
      while (puts < due) {
        const seq = puts++;
        sentAt[seq] = performance.now();
        const p: Promise<void> = writer
          .put(Buffer.concat([prefix, Buffer.from(String(seq).padStart(10, '0'))]), value)
          .then(
            () => {},
            (err: Error) => fail(err),
          )
          .finally(() => inFlight.delete(p));
        inFlight.add(p);
      }
      await sleep(Math.max(1, Math.min(50, 1000 / o.putsPerS / 2)));
    }
    await Promise.all(inFlight);

    // Every event should arrive shortly after the last put. NB: a lost event never does, so the
    // wait ends when events stop coming for `quietMs` (or after `drainMsMax`): an event later
    // than that counts as lost.
    const expected = puts * o.watchers;
    const drainStart = performance.now();
    while (delivered < expected && performance.now() - drainStart < drainMsMax) {
      await sleep(100);
      if (performance.now() - Math.max(lastEventAt, drainStart) > quietMs) break;
    }
    const spanS = Math.max(1e-3, ((lastEventAt || performance.now()) - firstPutAt) / 1000);
    const result: WatchResult = {
      watchers: o.watchers,
      streams: streamCount,
      puts,
      expectedEvents: expected,
      delivered,
      lost: Math.max(0, expected - delivered),
      duplicated,
      outOfOrder,
      eventsPerS: delivered / spanS,
      latencyMs: latency.summary(),
      setupS,
      errors,
    };
    if (firstError !== undefined) result.firstError = firstError;
    return result;
  } finally {
    if (progress) clearInterval(progress);
    for (const s of streams) s.close();
    writer.close();
  }
}
