// The lane's thread: wires a Lane to its worker port and its ticker. Everything else is lane.ts.

import { parentPort, workerData } from 'node:worker_threads';
import { assert } from '../../src/util/assert.js';
import { Lane } from './lane.js';
import type { FromLane, LaneOptions, ToLane } from './protocol.js';

const port = parentPort;
assert(port !== null, 'lane worker started outside a worker thread');
const opts = workerData as LaneOptions;
const lane = new Lane(opts, (batch: FromLane[]) => port.postMessage(batch), (fn) => void setImmediate(fn), Date.now());
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
