// The etcd3 client compatibility suite on Flotilla: every recorded step of
// fixtures/etcd3-client.txt must come out as it did on real etcd.
//
// NB: `npm test` runs every .js under dist/test/, not only *.test.js. Until this file is renamed
// to etcd3-client.flotilla.test.ts (once the server exists) it is skipped unless asked for:
//   FLOTILLA_COMPAT=1 node --test dist/test/compat/etcd3-client.flotilla.js

import { etcd3CompatSuite } from './etcd3-client.js';

const enabled = import.meta.url.endsWith('.test.js') || process.env.FLOTILLA_COMPAT === '1';
etcd3CompatSuite('flotilla', { skip: enabled ? false : 'the Flotilla server is not built yet (FLOTILLA_COMPAT=1 runs it)' });
