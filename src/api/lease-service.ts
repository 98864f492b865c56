// etcdserverpb.Lease. Keep-alives on one stream are answered in the order they were sent.

import type { EtcdBackend } from './backend.js';
import type { Service } from './service.js';
import { checkProposalSize, type Limits } from './validate.js';
import { bigintOf, buf, headerMsg, int64Of, numberOf } from './wire.js';

export function leaseService(backend: EtcdBackend, limits: Limits): Service {
  const header = (revision?: number) => headerMsg(backend.header(revision));
  return {
    name: 'etcdserverpb.Lease',
    methods: [
      {
        kind: 'unary',
        name: 'LeaseGrant',
        async handle(req, ctx) {
          checkProposalSize(ctx.requestBytes, limits);
          const res = await backend.leaseGrant(numberOf(req, 'TTL'), bigintOf(req, 'ID'));
          return { header: header(), ID: res.id.toString(), TTL: String(res.ttl) };
        },
      },
      {
        kind: 'unary',
        name: 'LeaseRevoke',
        async handle(req, ctx) {
          checkProposalSize(ctx.requestBytes, limits);
          const res = await backend.leaseRevoke(bigintOf(req, 'ID'));
          return { header: header(res.revision) };
        },
      },
      {
        kind: 'unary',
        name: 'LeaseTimeToLive',
        async handle(req) {
          const res = await backend.leaseTimeToLive(bigintOf(req, 'ID'), req.keys === true);
          return {
            header: header(),
            ID: res.id.toString(),
            TTL: String(res.ttl),
            grantedTTL: String(res.grantedTtl),
            keys: res.keys.map(buf),
          };
        },
      },
      {
        kind: 'unary',
        name: 'LeaseLeases',
        async handle() {
          const ids = await backend.leaseLeases();
          return { header: header(), leases: ids.map((id) => ({ ID: id.toString() })) };
        },
      },
      {
        kind: 'bidi',
        name: 'LeaseKeepAlive',
        open(sink) {
          // Each renewal waits for the one before, so replies keep the requests' order.
          let chain: Promise<void> = Promise.resolve();
          let closed = false;
          return {
            message(req) {
              const id = bigintOf(req, 'ID');
              chain = chain.then(async () => {
                if (closed) return;
                try {
                  const res = await backend.leaseKeepAlive(id);
                  sink.send({ header: header(), ID: int64Of(res.id), TTL: res.ttl });
                } catch (err) {
                  sink.fail(err);
                }
              });
            },
            // etcd ends the keep-alive stream when the client half-closes, after the pending replies.
            end() {
              void chain.then(() => sink.end());
            },
            close() {
              closed = true;
            },
          };
        },
      },
    ],
  };
}
