// etcdserverpb.Watch: one bidi stream = one WatchHub session carrying many watchers. The hub
// decides ids, ordering, fragments and cancellation; this file only translates.

import type { WatchCreate, WatchFilter, WatchResponseOut } from '../watch/types.js';
import type { EtcdBackend } from './backend.js';
import type { Event } from '../mvcc/types.js';
import { sharedEncoding, type Msg, type Service, type SharedEncoding } from './service.js';
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
            if (isPlainDelivery(r)) return sink.send(deliveryMsg(r, backend));
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

// Event batches: the hub hands every watcher that sees the same events the same array, so the
// header and events are built (and, by the gRPC adapter, encoded) once per batch, not once per
// watcher; each watcher's response adds its watch_id.

const batchMsgs = new WeakMap<readonly Event[], { revision: number; msg: Msg }>();

function isPlainDelivery(r: WatchResponseOut): boolean {
  return r.events.length > 0 && !r.created && !r.canceled && !r.fragment && r.compactRevision === 0 && r.cancelReason === '';
}

function deliveryMsg(r: WatchResponseOut, backend: EtcdBackend): Msg {
  let batch = batchMsgs.get(r.events);
  if (batch === undefined || batch.revision !== r.revision) {
    const header = headerMsg(backend.header(r.revision));
    header.revision = r.revision;
    batch = { revision: r.revision, msg: { header, events: r.events.map(eventMsg) } };
    batchMsgs.set(r.events, batch);
  }
  const encoding: SharedEncoding = { shared: batch.msg, tail: watchIdField(r.watchId) };
  return Object.assign({ ...batch.msg, watch_id: r.watchId }, { [sharedEncoding]: encoding });
}

/** WatchResponse field 2 (watch_id, int64) as protobuf bytes: tag (2 << 3 | varint) and the varint; none for 0. */
function watchIdField(id: number): Uint8Array {
  if (id === 0) return new Uint8Array(0);
  const out: number[] = [0x10];
  let v = id;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return Uint8Array.from(out);
}
