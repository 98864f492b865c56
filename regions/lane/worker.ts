// The lane's thread: wires a Lane to its worker port, its ticker and the store's job pool (a
// MessagePort to the main thread, regions/jobs/channel.ts). Everything else is lane.ts.

import { parentPort, workerData } from 'node:worker_threads';
import { assert } from '../../src/util/assert.js';
import { jobsOverPort } from '../jobs/channel.js';
import type { LaneWorkerData } from './host.js';
import { Lane } from './lane.js';
import type { FromLane, ToLane } from './protocol.js';

const port = parentPort;
assert(port !== null, 'lane worker started outside a worker thread');
const { jobsPort, ...opts } = workerData as LaneWorkerData;
const lane = new Lane(opts, (batch: FromLane[]) => port.postMessage(batch), (fn) => void setImmediate(fn), Date.now(), () => Date.now(), jobsOverPort(jobsPort));
lane.reportStartup();
const ticker = setInterval(() => lane.tick(), opts.heartbeatMs);
const statsTimer = setInterval(() => lane.reportStats(Date.now()), opts.statsIntervalMs);
port.on('message', (batch: ToLane[]) => {
  if (batch.some((m) => m.t === 'stop')) {
    clearInterval(ticker);
    clearInterval(statsTimer);
  }
  lane.handle(batch);
});
