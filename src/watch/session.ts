// One watch stream: its watchers, their IDs, and the responses on their way to the client.
//
// Flow control: `send` may return false, as a Node stream's write() does, meaning "taken, but
// stop". The session then holds further responses in a queue of at most
// sessionResponsesQueuedMax event responses; when that is full, a watcher that would need more
// room is not given its events but demoted to unsynced, to read them from history once the
// client catches up (resume()). So a slow client costs a bounded queue, and loses nothing.
// Control responses (created, canceled, progress) always queue: there is at most one per client
// request, and the client's own requests are flow-controlled by its transport.

import { assert } from '../util/assert.js';
import { emptyRangeReason, keyRange } from './key_range.js';
import { watchResponse } from './response.js';
import type { WatchCreate, WatchResponseOut, WatchSession } from './types.js';
import { Watcher } from './watcher.js';

/** etcd's answer when a client reuses a watch ID that is live on its stream. */
export const duplicateIdReason = 'mvcc: duplicate watch ID provided on the WatchStream';

/** Returns false to ask for no more until resume() (anything else: keep going). It must not throw. */
export type SendWatchResponse = (r: WatchResponseOut) => boolean | void;

/** What a session needs of its hub. */
export interface SessionHost {
  /** The last revision published: everything at or below it is committed and readable. */
  revision(): number;
  compactRevision(): number;
  /** Starts a watcher, synced (live events from minRev) or unsynced (history from minRev first). */
  register(w: Watcher, synced: boolean): void;
  unregister(w: Watcher): void;
  /** Unsynced watchers of this session may proceed. */
  wake(): void;
}

export class HubSession implements WatchSession {
  /** Unsynced watchers of this session (kept by the hub). */
  unsynced = 0;
  private readonly watchers = new Map<number, Watcher>();
  private nextId = 0;
  private queue: WatchResponseOut[] = [];
  private head = 0;
  private blocked = false;
  private flushing = false;
  private closed = false;
  private progressPending = false;

  constructor(
    private readonly host: SessionHost,
    private readonly sendFn: SendWatchResponse,
    private readonly responsesQueuedMax: number,
  ) {
    assert(responsesQueuedMax >= 1, 'HubSession: responsesQueuedMax must be >= 1');
  }

  create(req: WatchCreate): void {
    if (this.closed) return;
    const rev = this.host.revision();
    const range = keyRange(req.key, req.rangeEnd);
    if (range === undefined) {
      this.control(watchResponse({ watchId: -1, revision: rev, created: true, canceled: true, cancelReason: emptyRangeReason }));
      return;
    }
    let id = req.watchId;
    if (id === 0) {
      // etcd: 0 asks the server to choose, and it picks the lowest free ID it has not yet handed out.
      while (this.watchers.has(this.nextId)) this.nextId++;
      id = this.nextId++;
    } else if (this.watchers.has(id)) {
      this.control(watchResponse({ watchId: -1, revision: rev, created: true, canceled: true, cancelReason: duplicateIdReason }));
      return;
    }
    this.control(watchResponse({ watchId: id, revision: rev, created: true }));
    // NB: etcd does not define a negative start revision; we read it as "from the beginning".
    const start = req.startRevision < 0 ? 1 : req.startRevision;
    const live = start === 0 || start > rev;
    if (!live) {
      const compacted = this.host.compactRevision();
      // etcd keeps the compaction revision itself watchable: only a start below it is canceled.
      if (start < compacted) {
        this.control(watchResponse({ watchId: id, revision: 0, canceled: true, compactRevision: compacted }));
        return;
      }
    }
    const w = new Watcher(id, this, range, req.filters, req.prevKv, req.fragment, req.progressNotify, start === 0 ? rev + 1 : start);
    this.watchers.set(id, w);
    this.host.register(w, live);
  }

  cancel(watchId: number): void {
    const w = this.watchers.get(watchId);
    // etcd says nothing to a cancel of an unknown ID.
    if (w === undefined || this.closed) return;
    this.drop(w);
    this.control(watchResponse({ watchId, revision: this.host.revision(), canceled: true }));
    this.maybeAnswerProgress();
  }

  /**
   * etcd answers a progress request with one response of watch ID -1 at the current revision.
   * NB: etcd 3.4 sends it at once, even while some watcher is still catching up, which tells
   * the client a revision it has not seen every event of; we hold it until every watcher of
   * the session is synced (what etcd 3.5 came to do), so it never lies.
   */
  progress(): void {
    if (this.closed) return;
    this.progressPending = true;
    this.maybeAnswerProgress();
  }

  close(): void {
    if (this.closed) return;
    for (const w of this.watchers.values()) this.host.unregister(w);
    this.watchers.clear();
    this.closed = true;
    this.queue = [];
    this.head = 0;
  }

  /** The client drained what it had: deliver what is queued, then let watchers catch up. */
  resume(): void {
    if (this.closed) return;
    this.blocked = false;
    this.flush();
    if (!this.blocked && this.unsynced > 0) this.host.wake();
  }

  /** Responses held for a client that asked to pause (for metrics and tests). */
  get queued(): number {
    return this.queue.length - this.head;
  }

  // ---- For the hub.

  /** May this session be handed more events now? */
  get accepting(): boolean {
    return !this.closed && !this.blocked;
  }

  /** Queues a watcher's responses (all or none); false if there is no room. */
  offer(w: Watcher, rs: WatchResponseOut[]): boolean {
    assert(w.state !== 'gone', 'watch: offering events to a watcher that is gone');
    if (this.closed) return true;
    const queued = this.queue.length - this.head;
    if (queued > 0 && queued + rs.length > this.responsesQueuedMax) return false;
    for (const r of rs) this.queue.push(r);
    w.active = true;
    this.flush();
    return true;
  }

  /** The watcher's start revision was compacted away while it caught up. */
  compacted(w: Watcher, compactRevision: number): void {
    this.drop(w);
    this.control(watchResponse({ watchId: w.id, revision: 0, canceled: true, compactRevision }));
    this.maybeAnswerProgress();
  }

  /** One more of this session's watchers is synced (or gone). */
  maybeAnswerProgress(): void {
    if (!this.progressPending || this.unsynced > 0) return;
    this.progressPending = false;
    this.control(watchResponse({ watchId: -1, revision: this.host.revision() }));
  }

  private drop(w: Watcher): void {
    this.watchers.delete(w.id);
    this.host.unregister(w);
  }

  private control(r: WatchResponseOut): void {
    if (this.closed) return;
    this.queue.push(r);
    this.flush();
  }

  private flush(): void {
    // send may call back into the session (cancel from inside a handler): one flush at a time.
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (!this.blocked && !this.closed && this.head < this.queue.length) {
        const r = this.queue[this.head]!;
        this.head++;
        if (this.sendFn(r) === false) this.blocked = true;
      }
      if (this.head === this.queue.length) {
        this.queue = [];
        this.head = 0;
      } else if (this.head > 1024) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
    } finally {
      this.flushing = false;
    }
  }
}
