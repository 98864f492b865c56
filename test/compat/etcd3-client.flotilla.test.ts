// The etcd3 client compatibility suite on Flotilla: every recorded step of
// fixtures/etcd3-client.txt must come out as it did on real etcd.

import { etcd3CompatSuite } from './etcd3-client.js';

etcd3CompatSuite('flotilla', { skip: false });
