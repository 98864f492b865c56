// A hub on a fake store and a fake scheduler, and sessions that record what they are sent.

import type { Event } from '../../src/mvcc/types.js';
import { WatchHub, type WatchHubOptions } from '../../src/watch/hub.js';
import type { HubSession } from '../../src/watch/session.js';
import type { WatchCreate, WatchResponseOut } from '../../src/watch/types.js';
import { FakeKv, type Write } from './fake_kv.js';
import { FakeScheduler } from './fake_scheduler.js';

export const enc = new TextEncoder();
export const dec = new TextDecoder();

export class Harness {
  readonly kv = new FakeKv();
  readonly sched = new FakeScheduler();
  readonly hub: WatchHub;

  constructor(opts: Partial<Omit<WatchHubOptions, 'kv' | 'scheduler'>> = {}) {
    this.hub = new WatchHub({
      kv: this.kv,
      scheduler: this.sched,
      progressIntervalMs: 1000,
      fragmentBytesMax: 1 << 20,
      batchEventsMax: 100,
      ...opts,
    });
  }

  /** Applies and publishes at once (one revision). */
  write(...ws: Write[]): number {
    this.kv.apply(...ws);
    return this.publish();
  }

  publish(): number {
    this.hub.publish(this.kv.drain(), this.kv.rev);
    return this.kv.rev;
  }

  session(opts: { accept?: () => boolean } = {}): Client {
    return new Client(this, opts.accept);
  }
}

export function create(key: string, more: Partial<WatchCreate> & { end?: string } = {}): WatchCreate {
  const { end, ...rest } = more;
  return {
    key: enc.encode(key),
    rangeEnd: end === undefined ? new Uint8Array(0) : end === '\0' ? new Uint8Array([0]) : enc.encode(end),
    startRevision: 0,
    progressNotify: false,
    filters: [],
    prevKv: false,
    watchId: 0,
    fragment: false,
    ...rest,
  };
}

/** A session and everything it was sent. */
export class Client {
  readonly got: WatchResponseOut[] = [];
  readonly session: HubSession;

  constructor(
    readonly h: Harness,
    accept?: () => boolean,
  ) {
    this.session = h.hub.openSession((r) => {
      this.got.push(r);
      return accept === undefined ? undefined : accept();
    });
  }

  watch(key: string, more: Partial<WatchCreate> & { end?: string } = {}): number {
    const before = this.got.length;
    this.session.create(create(key, more));
    const r = this.got[before];
    if (r === undefined || !r.created) throw new Error('no created response');
    return r.watchId;
  }

  /** Responses for one watch ID. */
  of(id: number): WatchResponseOut[] {
    return this.got.filter((r) => r.watchId === id);
  }

  /** The events a watcher received, as "PUT a@3" strings, in order. */
  events(id: number): string[] {
    return this.of(id).flatMap((r) => r.events.map(show));
  }
}

export function show(e: Event): string {
  return `${e.type} ${dec.decode(e.kv.key)}@${e.kv.modRevision}`;
}
