// A Lane in this thread standing for a one-store cluster, with its jobs given by the test (the
// store's pool, or jobs the test holds and answers itself). Timestamps come from a counter.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import type { PeerId, Region, RegionId, StoreId } from '../../src/cluster/region.js';
import type { RegionOp } from '../../src/cluster/region_ops.js';
import type { Job, JobAnswer, LaneJobs } from '../../regions/jobs/jobs.js';
import { Lane } from '../../regions/lane/lane.js';
import type { FromLane, LaneOptions, RegionReport, RegionStats } from '../../regions/lane/protocol.js';

export const id = <T extends number>(n: number) => n as T;

export const store1 = id<StoreId>(1);

/** Region 1: all keys, one voter (peer 11) on store 1, so it elects itself at once. */
export const region1: Region = {
  id: id<RegionId>(1),
  start: new Uint8Array(0),
  end: new Uint8Array(0),
  epoch: { confVer: 1, version: 1 },
  peers: [{ id: id<PeerId>(11), storeId: store1, role: 'voter' }],
};

/** A job the lane asked for, not answered until the test says so. */
export interface HeldJob {
  job: Job;
  answer(value: JobAnswer<Job>): void;
  fail(e: Error): void;
}

/** Jobs that wait for the test: each one asked lands in `held`. */
export function heldJobs(): LaneJobs & { held: HeldJob[] } {
  const held: HeldJob[] = [];
  return {
    held,
    run<J extends Job>(job: J): Promise<JobAnswer<J>> {
      return new Promise((resolve, reject) => held.push({ job, answer: (v) => resolve(v as JobAnswer<J>), fail: reject }));
    },
  };
}

export class OneStore {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-jobs-lane-'));
  readonly path = path.join(this.dir, 'lane-0');
  readonly lane: Lane;
  readonly reports = new Map<RegionId, RegionReport>();
  readonly stats: RegionStats[][] = [];
  readonly logs: string[] = [];
  private readonly calls = new Map<number, { resolve(v: unknown): void; reject(e: unknown): void }>();
  private callSeq = 0;
  private ts = 1000;
  private readonly ticker: NodeJS.Timeout;
  private stopped: Promise<void> | undefined;

  constructor(t: TestContext, jobs: LaneJobs) {
    const opts: LaneOptions = {
      lane: 0,
      storeId: store1,
      path: this.path,
      noSync: true,
      flushDelayMs: 0,
      heartbeatMs: 10,
      electionMs: 100,
      raftLogEntriesMax: 10_000,
      hibernateTicks: 1_000_000,
      statsIntervalMs: 1_000_000,
    };
    let onStopped!: () => void;
    const stoppedMsg = new Promise<void>((r) => (onStopped = r));
    this.lane = new Lane(opts, (batch) => this.onLane(batch, onStopped), (fn) => void setImmediate(fn), Date.now(), () => Date.now(), jobs);
    this.ticker = setInterval(() => this.lane.tick(), 10);
    t.after(async () => {
      await this.stop(stoppedMsg);
      fs.rmSync(this.dir, { recursive: true, force: true });
    });
  }

  private onLane(batch: FromLane[], onStopped: () => void): void {
    for (const m of batch) {
      switch (m.t) {
        case 'reply': {
          const c = this.calls.get(m.id);
          if (!c) break;
          this.calls.delete(m.id);
          if (m.ok) c.resolve(m.value);
          else c.reject(m.error);
          break;
        }
        case 'tso': {
          const first = this.ts;
          this.ts += m.count;
          setImmediate(() => this.lane.handle([{ t: 'tso', id: m.id, first, count: m.count }]));
          break;
        }
        case 'regions':
          for (const r of m.changed) this.reports.set(r.region.id, r);
          break;
        case 'stats':
          this.stats.push(m.stats);
          break;
        case 'log':
          this.logs.push(m.line);
          break;
        case 'stopped':
          onStopped();
          break;
        default:
          break;
      }
    }
  }

  async start(): Promise<void> {
    this.lane.handle([{ t: 'createPeer', region: region1, peerId: region1.peers[0]!.id }]);
    await this.until('region 1 led here', () => this.reports.get(region1.id)?.isLeader === true);
  }

  /** Calls `op` on the region as last reported. Rejects with the lane's CallError. */
  call(regionId: RegionId, op: RegionOp): Promise<unknown> {
    const region = this.reports.get(regionId)!.region;
    const n = ++this.callSeq;
    return new Promise((resolve, reject) => {
      this.calls.set(n, { resolve, reject });
      this.lane.handle([{ t: 'call', id: n, region: region.id, epoch: region.epoch, op }]);
    });
  }

  async until(what: string, cond: () => boolean): Promise<void> {
    for (let i = 0; i < 1000; i++) {
      if (cond()) return;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`timed out waiting for ${what}`);
  }

  /** Stops the lane and waits for its storage to close (after its jobs, see Lane.stop). */
  private stop(stoppedMsg: Promise<void>): Promise<void> {
    this.stopped ??= (async () => {
      clearInterval(this.ticker);
      this.lane.stop();
      await stoppedMsg;
    })();
    return this.stopped;
  }
}
