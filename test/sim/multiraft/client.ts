// Clients of the simulated cluster: a router with a region cache (filled from PD, corrected by
// the errors stores answer with) and a workload of puts and linearizable reads, plus the model
// that judges what a read may return.
//
// The model. Puts to one key are issued one at a time (the next after the previous one resolved),
// and every put writes a unique value (its sequence number). A put ends
//   acked     - its proposer applied it;
//   failed    - every attempt was refused for sure (at propose, at apply, or its log slot went
//               to another entry), so it never applies; the router retried those;
//   unknown   - its proposer vanished (crash, destroyed peer) or it timed out: it may apply.
// A read of key k issued when put a was the last acked one may return a, or any put issued
// after a that did not fail (concurrent or unknown ones). An unknown put issued before a cannot
// apply after a (Raft's log order, and an epoch check at every split and merge in between), so
// it is not allowed. Nothing acked may ever be lost.

import type { PeerId, Region, RegionError, RegionId, RegionPeer } from '../../../src/cluster/region.js';
import { compareKeys } from '../../../src/cluster/region.js';
import { rangesOverlap } from '../../../regions/peer/region_meta.js';
import { assertNever } from '../../../src/util/assert.js';
import type { World } from '../world.js';
import type { MultiRaft } from './cluster.js';
import { keyBytes, type ReadResult, type WriteResult } from './store.js';

type PutStatus = 'pending' | 'acked' | 'failed' | 'unknown';

interface PutRecord {
  seq: number;
  key: string;
  status: PutStatus;
  /** Logical time of issue and of acknowledgement (one counter for all client events). */
  issued: number;
  acked: number;
  attempts: number;
  /** The attempt whose answer is awaited (answers of older attempts are ignored). */
  token: number;
  deadline: number;
  nextTry: number;
}

interface ReadOp {
  key: string;
  issued: number;
  attempts: number;
  token: number;
  deadline: number;
  nextTry: number;
}

export interface ClientStats {
  putsIssued: number;
  acked: number;
  failed: number;
  unknown: number;
  readsChecked: number;
  retries: number;
}

const putTimeoutTicks = 40;
const attemptsMax = 12;

/** The router: region cache and leader hints, like src/router's, kept small for the simulator. */
export class Router {
  private cache: Region[] = [];
  private readonly leaders = new Map<RegionId, PeerId>();

  constructor(private readonly c: MultiRaft) {}

  locate(key: string): Region {
    const kb = keyBytes(key);
    for (const r of this.cache) {
      if (compareKeys(kb, r.start) >= 0 && (r.end.length === 0 || compareKeys(kb, r.end) < 0)) return r;
    }
    const r = this.c.pd.locate(kb).region;
    this.insert(r);
    return r;
  }

  leader(r: Region): RegionPeer {
    const hint = this.leaders.get(r.id);
    const voters = r.peers.filter((p) => p.role === 'voter');
    return r.peers.find((p) => p.id === hint) ?? voters[0] ?? r.peers[0]!;
  }

  onError(r: Region, err: RegionError | { code: 'StaleCommand' }): void {
    switch (err.code) {
      case 'NotLeader':
        if (err.leader) this.leaders.set(r.id, err.leader.id);
        else this.rotate(r);
        break;
      case 'EpochNotMatch':
        this.evict(r.id);
        for (const x of err.current) this.insert(x);
        break;
      case 'RegionNotFound':
      case 'KeyNotInRegion':
        this.evict(r.id);
        this.rotate(r);
        break;
      case 'ServerIsBusy':
        this.rotate(r);
        break;
      case 'RegionBusy':
      case 'StaleCommand':
        break;
      default:
        this.evict(r.id);
    }
  }

  private rotate(r: Region): void {
    const cur = this.leader(r);
    const i = r.peers.findIndex((p) => p.id === cur.id);
    this.leaders.set(r.id, r.peers[(i + 1) % r.peers.length]!.id);
  }

  private evict(id: RegionId): void {
    this.cache = this.cache.filter((x) => x.id !== id);
  }

  private insert(r: Region): void {
    this.cache = this.cache.filter((x) => x.id !== r.id && !rangesOverlap(x.start, x.end, r.start, r.end));
    this.cache.push(r);
  }
}

export class Clients {
  readonly router: Router;
  private readonly puts = new Map<string, PutRecord[]>();
  private readonly inFlight = new Map<string, PutRecord>();
  private readonly reads = new Set<ReadOp>();
  private clock = 0;
  private nextSeq = 1;
  private nextToken = 1;
  readonly stats: ClientStats = { putsIssued: 0, acked: 0, failed: 0, unknown: 0, readsChecked: 0, retries: 0 };

  constructor(
    private readonly c: MultiRaft,
    private readonly world: World,
    readonly keys: readonly string[],
  ) {
    this.router = new Router(c);
  }

  /** One tick of client work: retries, timeouts, and (if `issue`) new puts and reads. */
  tick(now: number, issue: { puts: number; readChance: number }): void {
    for (const p of [...this.inFlight.values()]) {
      if (p.token !== 0 && now >= p.deadline) this.resolve(p, 'unknown');
      else if (p.token === 0 && now >= p.nextTry) this.attemptPut(p, now);
    }
    for (const r of [...this.reads]) {
      if (r.token !== 0 && now >= r.deadline) this.reads.delete(r);
      else if (r.token === 0 && now >= r.nextTry) this.attemptRead(r, now);
    }
    const rand = this.world.rand;
    for (let i = 0; i < issue.puts; i++) {
      const key = this.keys[rand.int(this.keys.length)]!;
      if (this.inFlight.has(key)) continue;
      const p: PutRecord = {
        seq: this.nextSeq++,
        key,
        status: 'pending',
        issued: ++this.clock,
        acked: 0,
        attempts: 0,
        token: 0,
        deadline: 0,
        nextTry: now,
      };
      let list = this.puts.get(key);
      if (!list) this.puts.set(key, (list = []));
      list.push(p);
      this.inFlight.set(key, p);
      this.stats.putsIssued++;
      this.attemptPut(p, now);
    }
    if (rand.chance(issue.readChance)) {
      const key = this.keys[rand.int(this.keys.length)]!;
      const r: ReadOp = { key, issued: ++this.clock, attempts: 0, token: 0, deadline: 0, nextTry: now };
      this.reads.add(r);
      this.attemptRead(r, now);
    }
  }

  get pending(): number {
    return this.inFlight.size + this.reads.size;
  }

  private attemptPut(p: PutRecord, now: number): void {
    if (p.attempts >= attemptsMax) {
      this.resolve(p, 'failed');
      return;
    }
    if (p.attempts > 0) this.stats.retries++;
    p.attempts++;
    const r = this.router.locate(p.key);
    const store = this.c.store(this.router.leader(r).storeId);
    const token = this.nextToken++;
    const err = store.put(r.id, r.epoch, p.key, p.seq, (res) => this.onPut(p, token, r, res));
    if (err) {
      this.router.onError(r, err);
      p.nextTry = now + 1;
      return;
    }
    p.token = token;
    p.deadline = now + putTimeoutTicks;
  }

  private onPut(p: PutRecord, token: number, r: Region, res: WriteResult): void {
    if (p.token !== token || p.status !== 'pending') return;
    p.token = 0;
    switch (res.status) {
      case 'ok':
        this.resolve(p, 'acked');
        break;
      case 'unknown':
        this.resolve(p, 'unknown');
        break;
      case 'rejected':
        // Definitely not applied: retrying cannot apply it twice.
        this.router.onError(r, res.error);
        p.nextTry = 0; // on the next tick
        break;
      default:
        assertNever(res, 'result');
    }
  }

  private resolve(p: PutRecord, status: PutStatus): void {
    p.status = status;
    p.token = 0;
    if (status === 'acked') p.acked = ++this.clock;
    this.inFlight.delete(p.key);
    if (status === 'acked') this.stats.acked++;
    else if (status === 'failed') this.stats.failed++;
    else this.stats.unknown++;
  }

  private attemptRead(op: ReadOp, now: number): void {
    if (op.attempts >= attemptsMax) {
      this.reads.delete(op);
      return;
    }
    op.attempts++;
    const r = this.router.locate(op.key);
    const store = this.c.store(this.router.leader(r).storeId);
    const token = this.nextToken++;
    const err = store.read(r.id, r.epoch, op.key, (res) => this.onRead(op, token, r, res));
    if (err) {
      this.router.onError(r, err);
      op.nextTry = now + 1;
      return;
    }
    op.token = token;
    op.deadline = now + putTimeoutTicks;
  }

  private onRead(op: ReadOp, token: number, r: Region, res: ReadResult): void {
    if (op.token !== token) return;
    op.token = 0;
    switch (res.status) {
      case 'ok':
        this.reads.delete(op);
        this.stats.readsChecked++;
        this.check(op.key, res.value, op.issued, `read issued at ${op.issued} at region ${r.id}`);
        break;
      case 'rejected':
        this.router.onError(r, res.error);
        op.nextTry = 0;
        break;
      case 'unknown':
        this.reads.delete(op);
        break;
      default:
        assertNever(res, 'result');
    }
  }

  /** Whether `value` is a value key may hold for a read issued at logical time `issued`. */
  check(key: string, value: number | undefined, issued: number, what: string): void {
    const list = this.puts.get(key) ?? [];
    let last: PutRecord | undefined;
    for (const p of list) if (p.status === 'acked' && p.acked < issued && (!last || p.acked > last.acked)) last = p;
    const ok =
      value === last?.seq ||
      (value !== undefined &&
        list.some((p) => p.seq === value && p.status !== 'failed' && (!last || p.issued > last.issued)));
    if (!ok) {
      const got = list.find((p) => p.seq === value);
      this.c.fail(
        'acknowledged puts are readable',
        `${what}: key ${key} holds ${value === undefined ? 'nothing' : `put ${value}`}` +
          (got ? ` (${got.status}, issued ${got.issued})` : '') +
          `, but put ${last?.seq} was acked at ${last?.acked}` +
          ` (history: ${list.map((p) => `${p.seq}:${p.status}@${p.issued}${p.status === 'acked' ? `/${p.acked}` : ''}`).join(' ')})`,
      );
    }
  }

  /** The final check: each key's value on the leader of the region that holds it. */
  checkFinal(key: string, value: number | undefined): void {
    this.check(key, value, ++this.clock, 'after healing');
  }
}
