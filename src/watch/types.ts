// Watch streams: one session per gRPC Watch stream (or gateway /v3/watch request), carrying many
// watchers. etcd's semantics: events of one revision are never split across responses (unless
// the watcher asked for fragments), never lost, never duplicated; a watcher whose start revision
// is compacted gets created:true and then canceled:true with compact_revision.

import type { Event } from '../mvcc/types.js';

export type WatchFilter = 'NOPUT' | 'NODELETE';

export interface WatchCreate {
  key: Uint8Array;
  rangeEnd: Uint8Array;
  /** 0 = from the next revision. */
  startRevision: number;
  progressNotify: boolean;
  filters: WatchFilter[];
  prevKv: boolean;
  /** 0 = let the server choose (the next free id in this session, from 0). */
  watchId: number;
  fragment: boolean;
}

export interface WatchResponseOut {
  /** The header's revision. */
  revision: number;
  watchId: number;
  created: boolean;
  canceled: boolean;
  compactRevision: number;
  cancelReason: string;
  fragment: boolean;
  events: Event[];
}

export interface WatchSession {
  create(req: WatchCreate): void;
  cancel(watchId: number): void;
  /**
   * A progress request. etcd 3.4 answers with one response of watch ID -1 and no events at the
   * current revision (observed); it is sent once every watcher of the session is synced.
   */
  progress(): void;
  close(): void;
  /**
   * After `send` returned false: the client drained its buffer; deliver again. Optional so that
   * sessions without flow control need not implement it.
   */
  resume?(): void;
}

export interface WatchHub {
  /**
   * `send` gets every response of the session, in order; it must not throw. Returning false
   * (as a Node stream's write() does) means "taken, but pause": the session then holds a bounded
   * number of responses until resume(), and watchers beyond that catch up from history later.
   * Any other return value (undefined) means keep going.
   */
  openSession(send: (r: WatchResponseOut) => void | boolean): WatchSession;
}
