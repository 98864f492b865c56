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
  /** A progress request: every watcher that is synced gets an empty response at the current revision. */
  progress(): void;
  close(): void;
}

export interface WatchHub {
  /** `send` gets every response of the session, in order; it must not throw. */
  openSession(send: (r: WatchResponseOut) => void): WatchSession;
}
