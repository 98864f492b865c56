// Serves the API over a FakeBackend on a given port, for trying clients (etcdctl, curl) by hand:
//   node dist/test/api/serve-fake.js 12379
import { startClientServer } from '../../src/api/index.js';
import { ServerMetrics } from '../../src/api/metrics.js';
import { FakeBackend } from './fake-backend.js';

const port = Number(process.argv[2] ?? 12379);
const server = await startClientServer({
  urls: [new URL(`http://127.0.0.1:${port}`)],
  backend: new FakeBackend(),
  metrics: new ServerMetrics(),
});
console.log(`serving on ${server.addresses.map((a) => a.port).join(',')}`);
process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
