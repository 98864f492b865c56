// Watch on the sharded modes until the router merges the regions' event feeds: every watch is
// created and at once canceled with a reason naming the limit, as etcd cancels a watch it cannot
// serve (a client sees the reason, not a silent stream that never delivers).

import type { WatchHub, WatchResponseOut } from '../watch/types.js';

export function unsupportedWatchHub(revision: () => number): WatchHub {
  return {
    openSession(send: (r: WatchResponseOut) => void | boolean) {
      let nextId = 0;
      return {
        create(req) {
          const watchId = req.watchId > 0 ? req.watchId : nextId++;
          const base = { revision: revision(), watchId, compactRevision: 0, fragment: false, events: [] };
          send({ ...base, created: true, canceled: false, cancelReason: '' });
          send({ ...base, created: false, canceled: true, cancelReason: 'flotilla: watch is not supported in the sharded modes yet' });
        },
        cancel() {},
        progress() {},
        close() {},
      };
    },
  };
}
