// One watcher of a session, and what it does to the events it is handed.

import type { Event } from '../mvcc/types.js';
import type { KeyRange } from './key_range.js';
import type { HubSession } from './session.js';
import type { WatchFilter } from './types.js';

/**
 * synced: in the hub's index, handed each revision as it is published.
 * unsynced: catching up from history (a start revision in the past, or its session fell behind).
 * gone: canceled or closed; nothing more is sent for it.
 */
export type WatcherState = 'synced' | 'unsynced' | 'gone';

/** Views already made of an event batch, by filter/prevKv variant. Views must not be modified. */
const viewsOf = new WeakMap<readonly Event[], Map<number, Event[]>>();

export class Watcher {
  state: WatcherState = 'synced';
  /**
   * The first revision this watcher has not been given yet. Synced watchers skip events below it
   * (a start revision in the future); unsynced watchers read history from it.
   */
  minRev: number;
  /** Events or a notification went out since the last progress tick (then no notify is due). */
  active = false;
  private readonly noPut: boolean;
  private readonly noDelete: boolean;

  constructor(
    readonly id: number,
    readonly session: HubSession,
    readonly range: KeyRange,
    filters: readonly WatchFilter[],
    readonly prevKv: boolean,
    readonly fragment: boolean,
    readonly progressNotify: boolean,
    minRev: number,
  ) {
    this.noPut = filters.includes('NOPUT');
    this.noDelete = filters.includes('NODELETE');
    this.minRev = minRev;
  }

  /** The events this watcher wants, as it wants them: filters applied, prevKv only if asked. */
  view(events: readonly Event[]): Event[] {
    // Watchers of one batch with the same wishes get the very same array, so that what is built
    // from it (a response's encoding) can be built once.
    const variant = (this.noPut ? 1 : 0) | (this.noDelete ? 2 : 0) | (this.prevKv ? 4 : 0);
    let views = viewsOf.get(events);
    if (views === undefined) viewsOf.set(events, (views = new Map()));
    const known = views.get(variant);
    if (known !== undefined) return known;
    const out: Event[] = [];
    for (const e of events) {
      if (e.type === 'PUT' ? this.noPut : this.noDelete) continue;
      if (e.prevKv !== undefined && !this.prevKv) out.push({ type: e.type, kv: e.kv });
      else out.push(e);
    }
    views.set(variant, out);
    return out;
  }
}
