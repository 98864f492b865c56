// etcdserverpb.KV: validate each request the way etcd does, then call the backend.

import type { EtcdBackend } from './backend.js';
import type { Service } from './service.js';
import { checkDeleteRange, checkProposalSize, checkPut, checkRange, checkTxn, type Limits } from './validate.js';
import {
  deleteRangeRequestOf,
  deleteRangeResponseMsg,
  headerMsg,
  numberOf,
  putRequestOf,
  putResponseMsg,
  rangeRequestOf,
  rangeResponseMsg,
  txnRequestOf,
  txnResponseMsg,
} from './wire.js';

export function kvService(backend: EtcdBackend, limits: Limits): Service {
  const header = (revision?: number) => headerMsg(backend.header(revision));
  return {
    name: 'etcdserverpb.KV',
    methods: [
      {
        kind: 'unary',
        name: 'Range',
        async handle(req) {
          checkRange(req);
          const res = await backend.range(rangeRequestOf(req));
          return rangeResponseMsg(res, header(res.revision));
        },
      },
      {
        kind: 'unary',
        name: 'Put',
        async handle(req, ctx) {
          checkPut(req);
          checkProposalSize(ctx.requestBytes, limits);
          const res = await backend.put(putRequestOf(req));
          return putResponseMsg(res, header(res.revision));
        },
      },
      {
        kind: 'unary',
        name: 'DeleteRange',
        async handle(req, ctx) {
          checkDeleteRange(req);
          checkProposalSize(ctx.requestBytes, limits);
          const res = await backend.deleteRange(deleteRangeRequestOf(req));
          return deleteRangeResponseMsg(res, header(res.revision));
        },
      },
      {
        kind: 'unary',
        name: 'Txn',
        async handle(req, ctx) {
          checkTxn(req, limits);
          checkProposalSize(ctx.requestBytes, limits);
          const res = await backend.txn(txnRequestOf(req));
          return txnResponseMsg(res, header(res.revision));
        },
      },
      {
        kind: 'unary',
        name: 'Compact',
        async handle(req, ctx) {
          checkProposalSize(ctx.requestBytes, limits);
          const res = await backend.compact({ revision: numberOf(req, 'revision'), physical: req.physical === true });
          return { header: header(res.revision) };
        },
      },
    ],
  };
}
