// Watch over a sharded key space. Each region's leader serves a feed of its events (a held call:
// it answers when it has events, or when its resolved revision passes what we wait for). The
// router merges the feeds by revision and hands the merged stream to an ordinary WatchHub, which
// keeps etcd's watch protocol (watch IDs, filters, prev_kv, fragments, progress, slow clients)
// exactly as in the unsharded mode.
//
// Ordering: revisions are the oracle's timestamps, unique across the cluster. A feed's answer
// says `resolved`: that region will never apply a write at or below it. An event is released
// to watchers only once EVERY feed has resolved past it, so events leave in revision order:
//
//   feed A: events 105, 120   resolved 130        released: 105, 112, 120 (<= min(130, 125))
//   feed B: event 112         resolved 125        held: nothing; 125 is now the hub's revision
//
// History: the feeds start at a fresh timestamp T (the hub's first revision); the released
// events are kept in a window of recent events (the hub reads them for watchers catching up).
// A watch asking for a revision older than the window first fetches the events since then, from
// every region, into the window (backfill); past eventWindowMax events of backfill it is
// refused with a reason. The window keeps at most eventWindowMax events: older ones fall out,
// and a watcher that needs them is canceled as compacted, as etcd does.
//
// NB: one feed per region, for the whole key space, while any watch session is open on this
// store. Each idle region then costs a held call every feedWaitMs.

import type { Region } from '../cluster/region.js';
import type { RegionEvents } from '../cluster/region_ops.js';
import { EtcdError } from '../mvcc/errors.js';
import type { KvStore } from '../mvcc/kv.js';
import type { Event } from '../mvcc/types.js';
import { keyRange, latin1, rangeHolds } from '../watch/key_range.js';
import { realScheduler, WatchHub } from '../watch/index.js';
import type { WatchCreate, WatchHub as WatchHubContract, WatchResponseOut, WatchSession } from '../watch/types.js';

/** What the feeds need of the router. */
export interface FeedTransport {
  /** A fresh timestamp from the oracle. */
  timestamp(): Promise<number>;
  /** The regions covering the whole key space, in key order (hash mode: every group). */
  allRegions(): Promise<Region[]>;
  /**
   * The region's events (see RegionOp 'events'), asked of its leader with the router's retries.
   * Rejects with FeedReshaped if the region split, merged or vanished (ask allRegions again).
   */
  poll(region: Region, q: { key: Uint8Array; rangeEnd: Uint8Array; fromRev: number; limit: number; waitMs: number; until: number }): Promise<RegionEvents>;
}

export class FeedReshaped extends Error {}

/** Events a window keeps, and what a backfill may fetch. */
const eventWindowMax = 200_000;
/** How long a region holds a feed call with nothing to say. */
const feedWaitMs = 1_000;
/** Events per feed answer. */
const feedEventsMax = 1_000;
const zero = Uint8Array.of(0);

interface Feed {
  region: Region;
  next: number;
  resolved: number;
  stopped: boolean;
  /** The `until` of the main held call, and of an extra one sent to hurry the feed. */
  heldUntil: number;
  nudgeUntil: number | undefined;
}

export interface ShardedWatchOptions {
  transport: FeedTransport;
  fragmentBytesMax: number;
  log?: (line: string) => void;
}

/** The key range of a region as etcd's range encoding (hash groups: everything they hold). */
function feedRange(r: Region): { key: Uint8Array; rangeEnd: Uint8Array } {
  if (r.slots) return { key: zero, rangeEnd: zero };
  return { key: r.start.length > 0 ? r.start : zero, rangeEnd: r.end.length > 0 ? r.end : zero };
}

export class ShardedWatch implements WatchHubContract {
  private hub: WatchHub | undefined;
  private starting: Promise<void> | undefined;
  /** Released events, in revision order, covering (floor - 1, resolved]. */
  private window: Event[] = [];
  private floor = 0;
  private resolved = 0;
  private readonly feeds = new Set<Feed>();
  /** Events of the feeds not yet released (above the global resolved revision). */
  private pending: Event[] = [];
  private sessions = 0;
  private stopped = false;

  constructor(private readonly o: ShardedWatchOptions) {}

  // ---- the KV face the hub reads ----

  private readonly kv: Pick<KvStore, 'eventsSince' | 'currentRevision' | 'compactRevision'> = {
    currentRevision: () => this.resolved,
    compactRevision: () => this.floor - 1,
    eventsSince: (key, rangeEnd, fromRev, limit) => {
      if (fromRev < this.floor) throw new EtcdError('Compacted');
      const range = keyRange(key, rangeEnd);
      const out: Event[] = [];
      let i = lowerBound(this.window, fromRev);
      let lastRev = 0;
      for (; i < this.window.length; i++) {
        const e = this.window[i]!;
        // Never split one revision between two reads.
        if (out.length >= limit && e.kv.modRevision !== lastRev) break;
        if (range && rangeHolds(range, latin1(e.kv.key))) {
          out.push(e);
          lastRev = e.kv.modRevision;
        }
      }
      return out;
    },
  };

  // ---- sessions ----

  openSession(send: (r: WatchResponseOut) => void | boolean): WatchSession {
    this.sessions++;
    let inner: WatchSession | undefined;
    let closed = false;
    // Calls made before the feeds started (or during a backfill) wait, in order.
    let queue: Array<(s: WatchSession) => void> = [];
    let busy = true;
    const drain = () => {
      while (!busy && inner && queue.length > 0) queue.shift()!(inner);
    };
    const run = (fn: (s: WatchSession) => void) => {
      queue.push(fn);
      drain();
    };
    void this.start().then(
      () => {
        if (closed) return;
        inner = this.hub!.openSession(send);
        busy = false;
        drain();
      },
      (err: Error) => {
        this.o.log?.(`flotilla: watch feeds could not start: ${err.message}`);
        queue = [];
        busy = true;
      },
    );
    return {
      create: (req: WatchCreate) =>
        run((s) => {
          if (req.startRevision <= 0 || req.startRevision >= this.floor) return s.create(req);
          // Older than the window: fetch the history first, then create in order.
          busy = true;
          this.backfill(req.startRevision).then(
            () => s.create(req),
            (err: Error) => {
              this.o.log?.(`flotilla: watch history from ${req.startRevision}: ${err.message}`);
              s.create(req); // the hub cancels it as compacted, with the window's floor
            },
          ).finally(() => {
            busy = false;
            drain();
          });
        }),
      cancel: (id: number) => run((s) => s.cancel(id)),
      progress: () => run((s) => s.progress()),
      close: () => {
        if (closed) return;
        closed = true;
        this.sessions--;
        if (inner) inner.close();
        queue = [];
      },
      resume: () => run((s) => s.resume?.()),
    };
  }

  /** Starts the feeds once: a fresh timestamp is the first revision watchers see. */
  private start(): Promise<void> {
    if (!this.starting) {
      this.starting = (async () => {
        const t = await this.o.transport.timestamp();
        this.resolved = t;
        this.floor = t + 1;
        this.hub = new WatchHub({
          kv: this.kv,
          scheduler: realScheduler,
          progressIntervalMs: 10 * 60 * 1000,
          fragmentBytesMax: this.o.fragmentBytesMax,
          batchEventsMax: 1000,
        });
        for (const r of await this.o.transport.allRegions()) this.addFeed(r, t + 1, t);
      })();
      this.starting.catch(() => (this.starting = undefined));
    }
    return this.starting;
  }

  stop(): void {
    this.stopped = true;
    for (const f of this.feeds) f.stopped = true;
  }

  private addFeed(region: Region, next: number, resolved: number): void {
    const f: Feed = { region, next, resolved, stopped: false, heldUntil: 0, nudgeUntil: undefined };
    this.feeds.add(f);
    void this.runFeed(f);
  }

  private async runFeed(f: Feed): Promise<void> {
    while (!f.stopped && !this.stopped) {
      // Held until the region has events, or resolves past both what we already know of it
      // and the newest event waiting for release (or the wait runs out).
      const until = Math.max(this.waitingFor(), f.resolved + 1);
      f.heldUntil = until;
      const outcome = await this.pollOnce(f, until);
      if (outcome === 'reshaped') return this.reshape(f);
      // Retries are exhausted (no leader for a while): keep trying; the watchers just wait.
      if (outcome === 'failed') await new Promise((r) => setTimeout(r, 200));
    }
  }

  /**
   * One held call to the region; its answer is taken idempotently (an extra call may answer
   * the same events): events below the feed's next revision were taken already, and each answer
   * is complete from where it asked up to its resolved revision.
   */
  private async pollOnce(f: Feed, until: number): Promise<'ok' | 'failed' | 'reshaped'> {
    const { key, rangeEnd } = feedRange(f.region);
    let ans: RegionEvents;
    try {
      ans = await this.o.transport.poll(f.region, { key, rangeEnd, fromRev: f.next, limit: feedEventsMax, waitMs: feedWaitMs, until });
    } catch (err) {
      return err instanceof FeedReshaped ? 'reshaped' : 'failed';
    }
    if (f.stopped) return 'ok';
    let newest = 0;
    for (const e of ans.events) {
      if (e.kv.modRevision < f.next) continue;
      this.pending.push(e);
      f.next = e.kv.modRevision + 1;
      newest = e.kv.modRevision;
    }
    if (ans.resolved > f.resolved) {
      f.resolved = ans.resolved;
      f.next = Math.max(f.next, ans.resolved + 1);
    }
    if (newest > 0) this.hurry(newest);
    this.release();
    return 'ok';
  }

  /**
   * An event at `rev` waits for every other feed to resolve past it. A feed whose held call asks
   * for more (it was sent before this event existed) would answer only when its wait runs out:
   * send it an extra call that asks for just `rev`.
   */
  private hurry(rev: number): void {
    for (const f of this.feeds) {
      if (f.stopped || f.resolved >= rev || f.heldUntil <= rev) continue;
      if (f.nudgeUntil !== undefined && f.nudgeUntil <= rev) continue;
      f.nudgeUntil = rev;
      void this.pollOnce(f, rev).finally(() => {
        if (f.nudgeUntil === rev) f.nudgeUntil = undefined;
      });
    }
  }

  /** The region split or merged: feeds for the regions now covering its keys take over. */
  private async reshape(f: Feed): Promise<void> {
    f.stopped = true;
    const all = await this.o.transport.allRegions().catch(() => undefined);
    this.feeds.delete(f);
    if (!all) {
      // Try again shortly, from the same point.
      setTimeout(() => this.addFeed(f.region, f.next, f.resolved), 200).unref?.();
      return;
    }
    const mine = new Set([...this.feeds].map((x) => x.region.id));
    for (const r of all) {
      if (mine.has(r.id)) continue;
      // A region of the new shape starts where the old feed was: events from f.next on.
      this.addFeed(r, f.next, f.resolved);
    }
  }

  /**
   * The revision feeds are asked to resolve up to: the newest event waiting to be released;
   * with none waiting, nothing (the feeds answer with events or when their wait runs out).
   */
  private waitingFor(): number {
    if (this.pending.length === 0) return Number.MAX_SAFE_INTEGER;
    let max = 0;
    for (const e of this.pending) if (e.kv.modRevision > max) max = e.kv.modRevision;
    return max;
  }

  /** Releases, in revision order, the pending events every feed has resolved past. */
  private release(): void {
    if (!this.hub || this.feeds.size === 0) return;
    let upTo = Infinity;
    for (const f of this.feeds) upTo = Math.min(upTo, f.resolved);
    if (upTo <= this.resolved) return;
    const ready: Event[] = [];
    const rest: Event[] = [];
    for (const e of this.pending) (e.kv.modRevision <= upTo ? ready : rest).push(e);
    this.pending = rest;
    // Within one revision (one region's transaction) the feed's order is kept: the sort is stable.
    ready.sort((a, b) => a.kv.modRevision - b.kv.modRevision);
    const fresh = ready.filter((e) => e.kv.modRevision > this.resolved);
    for (const e of fresh) this.window.push(e);
    this.resolved = upTo;
    this.trim();
    this.hub.publish(fresh, upTo);
  }

  private trim(): void {
    const excess = this.window.length - eventWindowMax;
    if (excess <= 0) return;
    // Drop whole revisions only.
    let cut = excess;
    while (cut < this.window.length && this.window[cut]!.kv.modRevision === this.window[cut - 1]!.kv.modRevision) cut++;
    this.floor = this.window[cut - 1]!.kv.modRevision + 1;
    this.window = this.window.slice(cut);
  }

  /** Fills the window back to `from` with every region's events since then. */
  private async backfill(from: number): Promise<void> {
    const upTo = this.floor - 1;
    if (from > upTo) return;
    const regions = await this.o.transport.allRegions();
    const got: Event[][] = await Promise.all(
      regions.map(async (r) => {
        const { key, rangeEnd } = feedRange(r);
        const out: Event[] = [];
        let next = from;
        for (;;) {
          const ans = await this.o.transport.poll(r, { key, rangeEnd, fromRev: next, limit: feedEventsMax, waitMs: feedWaitMs, until: upTo });
          for (const e of ans.events) {
            if (e.kv.modRevision > upTo) break;
            out.push(e);
            next = e.kv.modRevision + 1;
          }
          if (out.length > eventWindowMax) throw new Error(`more than ${eventWindowMax} events since revision ${from}`);
          if (ans.resolved >= upTo || ans.events.length === 0 && ans.resolved >= upTo) break;
          if (ans.events.length === 0) next = Math.max(next, ans.resolved + 1);
          if (next > upTo) break;
        }
        return out;
      }),
    );
    const older = got.flat().sort((a, b) => a.kv.modRevision - b.kv.modRevision);
    if (this.floor - 1 !== upTo) return; // the window moved meanwhile (trimmed): the hub decides
    this.window = [...older.filter((e) => e.kv.modRevision >= from), ...this.window];
    this.floor = from;
  }

  get sessionCount(): number {
    return this.sessions;
  }
}

/** The first index of an event at or above rev. */
function lowerBound(events: Event[], rev: number): number {
  let lo = 0;
  let hi = events.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (events[mid]!.kv.modRevision < rev) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
