// etcdserverpb.Maintenance. Snapshot is not served yet (Unimplemented).

import type { AlarmType, EtcdBackend } from './backend.js';
import type { Service } from './service.js';
import { bigintOf, enumOf, headerMsg, numberOf } from './wire.js';

export function maintenanceService(backend: EtcdBackend): Service {
  const header = (revision?: number) => headerMsg(backend.header(revision));
  return {
    name: 'etcdserverpb.Maintenance',
    methods: [
      {
        kind: 'unary',
        name: 'Status',
        async handle() {
          const s = await backend.status();
          return {
            header: header(),
            version: s.version,
            dbSize: String(s.dbSize),
            leader: s.leader.toString(),
            raftIndex: String(s.raftIndex),
            raftTerm: String(s.raftTerm),
            raftAppliedIndex: String(s.raftAppliedIndex),
            errors: s.errors,
            dbSizeInUse: String(s.dbSizeInUse),
            isLearner: s.isLearner,
          };
        },
      },
      {
        kind: 'unary',
        name: 'Alarm',
        async handle(req) {
          const action = enumOf<'GET' | 'ACTIVATE' | 'DEACTIVATE'>(req, 'action', 'GET');
          const alarms = await backend.alarm(action, bigintOf(req, 'memberID'), enumOf<AlarmType>(req, 'alarm', 'NONE'));
          // NB: etcd 3.4 answers alarms without a header; we match it byte for byte.
          return { alarms: alarms.map((a) => ({ memberID: a.memberId.toString(), alarm: a.alarm })) };
        },
      },
      {
        kind: 'unary',
        name: 'Hash',
        async handle() {
          const res = await backend.hash();
          return { header: header(res.revision), hash: res.hash };
        },
      },
      {
        kind: 'unary',
        name: 'HashKV',
        async handle(req) {
          const res = await backend.hashKV(numberOf(req, 'revision'));
          return { header: header(res.revision), hash: res.hash, compact_revision: String(res.compactRevision) };
        },
      },
      {
        kind: 'unary',
        name: 'MoveLeader',
        async handle(req) {
          await backend.moveLeader(bigintOf(req, 'targetID'));
          return { header: header() };
        },
      },
      {
        kind: 'unary',
        name: 'Defragment',
        async handle() {
          await backend.defragment();
          // NB: etcd 3.4 replies `{}` (no header); etcdctl prints nothing from it.
          return {};
        },
      },
    ],
  };
}
