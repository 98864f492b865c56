import type { WatchResponseOut } from './types.js';

/** A response with etcd's zero values for every field not given. */
export function watchResponse(r: Partial<WatchResponseOut> & { watchId: number; revision: number }): WatchResponseOut {
  return {
    revision: r.revision,
    watchId: r.watchId,
    created: r.created ?? false,
    canceled: r.canceled ?? false,
    compactRevision: r.compactRevision ?? 0,
    cancelReason: r.cancelReason ?? '',
    fragment: r.fragment ?? false,
    events: r.events ?? [],
  };
}
