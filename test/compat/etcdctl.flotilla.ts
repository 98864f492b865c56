// The etcdctl compatibility suite on Flotilla: every recorded step of real etcd's transcripts
// (fixtures/etcdctl-*.txt) must come out the same.
//
// NB: `npm test` runs every .js under dist/test/, not only *.test.js. Until this file is renamed
// to etcdctl.flotilla.test.ts (once the server exists) it is skipped unless asked for:
//   FLOTILLA_COMPAT=1 node --test dist/test/compat/etcdctl.flotilla.js

import { etcdctlCompatSuite } from './etcdctl.js';

const enabled = import.meta.url.endsWith('.test.js') || process.env.FLOTILLA_COMPAT === '1';
etcdctlCompatSuite('flotilla', { skip: enabled ? false : 'the Flotilla server is not built yet (FLOTILLA_COMPAT=1 runs it)' });
