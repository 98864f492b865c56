// The etcdctl compatibility suite on Flotilla: every step of the recorded etcdctl scripts
// (1 and 3 members) must print, once normalized, what real etcd 3.4 printed.

import { etcdctlCompatSuite } from './etcdctl.js';

etcdctlCompatSuite('flotilla', { skip: false });
