// etcdserverpb.Watch: one bidi stream = one WatchHub session carrying many watchers. The hub
// decides ids, ordering, fragments and cancellation; this file only translates.

import type { WatchCreate, WatchFilter, WatchResponseOut } from '../watch/types.js';
import type { EtcdBackend } from './backend.js';
import type { Msg, Service } from './service.js';
import { boolOf, bytesOf, eventMsg, headerMsg, messageOf, numberOf, zeroKey } from './wire.js';

/**
 * etcd watches the key "\x00" when a create request has no key, and treats range_end "\x00"
 * as "every key >= key" (the core's RangeRequest encoding, kept as is).
 */
export function watchCreateOf(m: Msg): WatchCreate {
  const key = bytesOf(m, 'key');
  const filters = Array.isArray(m.filters) ? (m.filters as unknown[]) : [];
  return {
    key: key.length === 0 ? zeroKey : key,
    rangeEnd: bytesOf(m, 'range_end'),
    startRevision: numberOf(m, 'start_revision'),
    progressNotify: boolOf(m, 'progress_notify'),
    filters: filters.filter((f): f is WatchFilter => f === 'NOPUT' || f === 'NODELETE'),
    prevKv: boolOf(m, 'prev_kv'),
    watchId: numberOf(m, 'watch_id'),
    fragment: boolOf(m, 'fragment'),
  };
}

export function watchResponseMsg(r: WatchResponseOut, header: Msg): Msg {
  return {
    header,
    watch_id: r.watchId,
    created: r.created,
    canceled: r.canceled,
    compact_revision: r.compactRevision,
    cancel_reason: r.cancelReason,
    fragment: r.fragment,
    events: r.events.map(eventMsg),
  };
}

export function watchService(backend: EtcdBackend): Service {
  return {
    name: 'etcdserverpb.Watch',
    methods: [
      {
        kind: 'bidi',
        name: 'Watch',
        open(sink) {
          const session = backend.watchHub.openSession((r) => {
            const header = headerMsg(backend.header(r.revision));
            // The hub's revision stands, even 0: etcd sends none with a compacted watcher's cancel.
            header.revision = r.revision;
            sink.send(watchResponseMsg(r, header));
          });
          return {
            message(req) {
              const create = messageOf(req, 'create_request');
              if (create) return session.create(watchCreateOf(create));
              const cancel = messageOf(req, 'cancel_request');
              if (cancel) return session.cancel(numberOf(cancel, 'watch_id'));
              if (messageOf(req, 'progress_request')) return session.progress();
            },
            // etcd keeps a watch stream open after the client half-closes: events still flow.
            end() {},
            close() {
              session.close();
            },
          };
        },
      },
    ],
  };
}
