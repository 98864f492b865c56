// The watch hub: every watch session of a member, fed by publish() after each apply commits.
// etcd's watchableStore (mvcc/watchable_store.go) in spirit, on one thread:
//
//   synced watchers sit in an index by key range; publish(events, rev) hands each of them the
//   events it matches, one response per watcher per publish (a revision is never split, unless
//   the watcher asked for fragments).
//   unsynced watchers (start revision in the past, or demoted because their session's queue was
//   full) read history with kv.eventsSince, batchEventsMax events at a time, in scheduler steps
//   between publishes, then join the synced index.
//
// No gap, no duplicate, even while revisions keep being published during a catch-up: the hub
// remembers the last published revision P. History reads deliver only events at or below P; a
// watcher whose read reaches P joins the index with minRev P + 1, and every later revision comes
// to it through publish. Both happen on one thread, so no revision falls between the two.
//
// Worked example: P = 10, a watcher starts at 4. Step 1 reads revisions 4..7 (batch limit) and
// sends them, minRev 8. publish(11), publish(12): the watcher is not in the index, gets nothing.
// Step 2 reads 8..12 (the store has them), sends 8..12 (all <= P = 12), joins with minRev 13.
// publish(13) reaches it.

import { EtcdError } from '../mvcc/errors.js';
import type { KvStore } from '../mvcc/kv.js';
import type { Event } from '../mvcc/types.js';
import { assert } from '../util/assert.js';
import { fragmentEvents } from './fragment.js';
import { latin1, type KeyRange } from './key_range.js';
import { watchResponse } from './response.js';
import type { CancelTimer, Scheduler } from './scheduler.js';
import { HubSession, type SendWatchResponse, type SessionHost } from './session.js';
import type { WatchHub as WatchHubContract } from './types.js';
import type { Watcher } from './watcher.js';
import { WatcherIndex } from './watcher_index.js';

export interface WatchHubOptions {
  kv: Pick<KvStore, 'eventsSince' | 'currentRevision' | 'compactRevision'>;
  scheduler: Scheduler;
  /** How often idle synced watchers with progress_notify get an empty response (etcd: 10 min). */
  progressIntervalMs: number;
  /** Fragment size for watchers that asked for fragments (etcd: its max request bytes). */
  fragmentBytesMax: number;
  /** Events per history read while catching up. */
  batchEventsMax: number;
  /** Event responses a session holds for a client that stopped reading (etcd: 128). */
  sessionResponsesQueuedMax?: number;
  /** History reads per catch-up step, so one step never holds the thread for long. */
  syncReadsPerStepMax?: number;
}

export const sessionResponsesQueuedMaxDefault = 128;
export const syncReadsPerStepMaxDefault = 32;

export class WatchHub implements WatchHubContract {
  private readonly kv: WatchHubOptions['kv'];
  private readonly scheduler: Scheduler;
  private readonly progressIntervalMs: number;
  private readonly fragmentBytesMax: number;
  private readonly batchEventsMax: number;
  private readonly sessionResponsesQueuedMax: number;
  private readonly syncReadsPerStepMax: number;
  private published: number;
  private readonly synced = new WatcherIndex();
  private readonly unsynced = new Set<Watcher>();
  private readonly progressWatchers = new Set<Watcher>();
  private syncTimer: CancelTimer | undefined;
  private progressTimer: CancelTimer | undefined;
  private readonly host: SessionHost;

  constructor(opts: WatchHubOptions) {
    assert(opts.progressIntervalMs > 0, 'WatchHub: progressIntervalMs must be > 0');
    assert(opts.fragmentBytesMax > 0, 'WatchHub: fragmentBytesMax must be > 0');
    assert(opts.batchEventsMax >= 1, 'WatchHub: batchEventsMax must be >= 1');
    this.kv = opts.kv;
    this.scheduler = opts.scheduler;
    this.progressIntervalMs = opts.progressIntervalMs;
    this.fragmentBytesMax = opts.fragmentBytesMax;
    this.batchEventsMax = opts.batchEventsMax;
    this.sessionResponsesQueuedMax = opts.sessionResponsesQueuedMax ?? sessionResponsesQueuedMaxDefault;
    this.syncReadsPerStepMax = opts.syncReadsPerStepMax ?? syncReadsPerStepMaxDefault;
    // At start everything the store holds is committed: nothing to publish below it.
    this.published = opts.kv.currentRevision();
    this.host = {
      revision: () => this.published,
      compactRevision: () => this.kv.compactRevision(),
      register: (w, synced) => this.register(w, synced),
      unregister: (w) => this.unregister(w),
      wake: () => this.scheduleSync(),
    };
  }

  openSession(send: SendWatchResponse): HubSession {
    return new HubSession(this.host, send, this.sessionResponsesQueuedMax);
  }

  /** The last revision published. */
  get revision(): number {
    return this.published;
  }

  /** Watchers in the index / catching up (for metrics: etcd_debugging_mvcc_watcher_total ...). */
  get counts(): { synced: number; unsynced: number } {
    return { synced: this.synced.size, unsynced: this.unsynced.size };
  }

  /**
   * Called by the member after each apply commits: the events of the revisions after the last
   * publish, in order, with prevKv; `revision` is the store's revision now (>= every event's).
   */
  publish(events: Event[], revision: number): void {
    assert(revision >= this.published, `watch publish: revision ${revision} after ${this.published}`);
    const batches = new Map<Watcher, Event[]>();
    for (const e of events) {
      const rev = e.kv.modRevision;
      assert(rev > this.published && rev <= revision, `watch publish: event at ${rev} outside (${this.published}, ${revision}]`);
      this.synced.match(latin1(e.kv.key), (w) => {
        if (rev < w.minRev) return;
        const b = batches.get(w);
        if (b === undefined) batches.set(w, [e]);
        else b.push(e);
      });
    }
    this.published = revision;
    // Watchers that matched the same events share one array (10,000 watchers of one prefix get
    // one), so their views and responses are made once.
    const shared = new Map<string, Event[]>();
    const position = events.length > 1 ? new Map(events.map((e, i) => [e, i])) : undefined;
    for (const [w, evs] of batches) {
      if (w.state !== 'synced') continue;
      const key = evs.length === events.length ? '*' : evs.map((e) => position?.get(e) ?? 0).join(',');
      let same = shared.get(key);
      if (same === undefined) shared.set(key, (same = evs));
      if (!this.deliver(w, same, revision)) this.demote(w, same[0]!.kv.modRevision);
    }
  }

  /**
   * The store jumped to `revision` without publishing (a Raft snapshot was installed): every
   * synced watcher reads the revisions it missed from the new store's history, like a watcher
   * that fell behind; one whose next revision was compacted away is cancelled with it, as etcd's
   * watchable store does after a restore.
   */
  restore(revision: number): void {
    assert(revision >= this.published, `watch restore: revision ${revision} before ${this.published}`);
    const from = this.published + 1;
    for (const w of this.synced.all()) this.demote(w, Math.max(w.minRev, from));
    this.published = revision;
    this.scheduleSync();
  }

  // ---- Watchers coming and going.

  private register(w: Watcher, synced: boolean): void {
    if (synced) {
      w.state = 'synced';
      this.synced.add(w);
    } else {
      w.state = 'unsynced';
      this.unsynced.add(w);
      w.session.unsynced++;
      this.scheduleSync();
    }
    if (w.progressNotify) {
      this.progressWatchers.add(w);
      this.armProgress();
    }
  }

  private unregister(w: Watcher): void {
    if (w.state === 'synced') this.synced.delete(w);
    else if (w.state === 'unsynced') {
      this.unsynced.delete(w);
      w.session.unsynced--;
    }
    this.progressWatchers.delete(w);
    w.state = 'gone';
  }

  /** Its session could not take `fromRev`: it will read it from history later. */
  private demote(w: Watcher, fromRev: number): void {
    this.synced.delete(w);
    w.state = 'unsynced';
    w.minRev = fromRev;
    this.unsynced.add(w);
    w.session.unsynced++;
    // Nothing to do until the session resumes (which wakes us), unless others can proceed.
    this.scheduleSync();
  }

  private join(w: Watcher): void {
    this.unsynced.delete(w);
    w.session.unsynced--;
    w.state = 'synced';
    w.minRev = this.published + 1;
    this.synced.add(w);
    w.session.maybeAnswerProgress();
  }

  /** Hands w its view of evs (one response, or fragments); false if its session had no room. */
  private deliver(w: Watcher, evs: Event[], headerRev: number): boolean {
    const view = w.view(evs);
    if (view.length === 0) return true;
    const parts = w.fragment ? fragmentEvents(view, this.fragmentBytesMax) : [view];
    const last = parts.length - 1;
    return w.session.offer(
      w,
      parts.map((events, i) => watchResponse({ watchId: w.id, revision: headerRev, events, fragment: i < last })),
    );
  }

  // ---- Catching up.

  private scheduleSync(): void {
    if (this.syncTimer !== undefined || this.unsynced.size === 0) return;
    this.syncTimer = this.scheduler.schedule(0, () => {
      this.syncTimer = undefined;
      this.syncStep();
    });
  }

  /**
   * One step: watchers that need the same range from the same revision share one history read.
   * Watchers of sessions that are not accepting wait for their session's resume().
   */
  private syncStep(): void {
    const groups = new Map<string, Watcher[]>();
    for (const w of this.unsynced) {
      if (!w.session.accepting) continue;
      const key = `${w.minRev}@${w.range.sig}`;
      const g = groups.get(key);
      if (g === undefined) groups.set(key, [w]);
      else g.push(w);
    }
    let reads = 0;
    for (const g of groups.values()) {
      if (reads++ === this.syncReadsPerStepMax) break;
      this.catchUp(g);
    }
    for (const w of this.unsynced) {
      if (w.session.accepting) {
        this.scheduleSync();
        return;
      }
    }
  }

  /** ws: unsynced watchers of one range, all at the same minRev. */
  private catchUp(ws: Watcher[]): void {
    const from = ws[0]!.minRev;
    const upTo = this.published;
    if (from > upTo) {
      for (const w of ws) this.join(w);
      return;
    }
    const read = this.readHistory(ws[0]!.range, from);
    if ('compacted' in read) {
      for (const w of ws) w.session.compacted(w, read.compacted);
      return;
    }
    const events = read.events;
    const lastRev = events.length === 0 ? upTo : events[events.length - 1]!.kv.modRevision;
    // Revisions are never split by a read, so reaching P means every event up to P is in hand;
    // the store may already hold revisions above P: publish will bring those.
    const done = lastRev >= upTo;
    const usable = done ? events.filter((e) => e.kv.modRevision <= upTo) : events;
    for (const w of ws) {
      if (w.state !== 'unsynced' || !w.session.accepting) continue;
      if (!this.deliver(w, usable, upTo)) continue;
      if (done) this.join(w);
      else w.minRev = lastRev + 1;
    }
  }

  private readHistory(range: KeyRange, from: number): { events: Event[] } | { compacted: number } {
    const compacted = this.kv.compactRevision();
    if (from < compacted) return { compacted };
    try {
      return { events: this.kv.eventsSince(range.keyBytes, range.endBytes, from, this.batchEventsMax) };
    } catch (err) {
      if (!(err instanceof EtcdError) || err.code !== 'Compacted') throw err;
      // NB: etcd serves a watch from the compaction revision itself (what the compaction kept
      // of it); a store that refuses that revision is read from the next one instead.
      if (from === compacted) return this.readHistory(range, from + 1);
      return { compacted: this.kv.compactRevision() };
    }
  }

  // ---- Progress notifications.

  private armProgress(): void {
    if (this.progressTimer !== undefined || this.progressWatchers.size === 0) return;
    this.progressTimer = this.scheduler.schedule(this.progressIntervalMs, () => {
      this.progressTimer = undefined;
      this.progressTick();
    });
  }

  /** etcd: a synced watcher that asked for progress_notify and got nothing for one interval. */
  private progressTick(): void {
    for (const w of this.progressWatchers) {
      if (w.state === 'synced' && !w.active && w.session.accepting) {
        w.session.offer(w, [watchResponse({ watchId: w.id, revision: this.published })]);
      }
      w.active = false;
    }
    this.armProgress();
  }
}
