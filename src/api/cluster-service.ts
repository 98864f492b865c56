// etcdserverpb.Cluster. Membership changes are not served yet (Unimplemented, by the adapter).

import type { EtcdBackend, Member } from './backend.js';
import type { Msg, Service } from './service.js';
import { headerMsg } from './wire.js';

export function memberMsg(m: Member): Msg {
  return { ID: m.id.toString(), name: m.name, peerURLs: m.peerURLs, clientURLs: m.clientURLs, isLearner: m.isLearner };
}

export function clusterService(backend: EtcdBackend): Service {
  return {
    name: 'etcdserverpb.Cluster',
    methods: [
      {
        kind: 'unary',
        name: 'MemberList',
        async handle() {
          const members = await backend.memberList();
          // etcd's cluster server leaves the revision out of its headers.
          const header = headerMsg(backend.header());
          delete header.revision;
          return { header, members: members.map(memberMsg) };
        },
      },
    ],
  };
}
