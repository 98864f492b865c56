// A small in-memory EtcdBackend for the API tests: etcd's revision rules for puts, deletes and
// txns, leases, and a watch hub with history. A test double, not a model of the real store;
// it behaves like etcd on the requests the tests (and the recorded gateway fixtures) make.

import type {
  AlarmMember,
  AlarmType,
  EtcdBackend,
  LeaseGrantResult,
  LeaseTimeToLiveResult,
  Member,
  ResponseHeader,
  StatusInfo,
} from '../../src/api/backend.js';
import { EtcdError } from '../../src/mvcc/errors.js';
import type {
  Compare,
  CompactionRequest,
  DeleteRangeRequest,
  DeleteRangeResponse,
  Event,
  KeyValue,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  RequestOp,
  ResponseOp,
  TxnRequest,
  TxnResponse,
} from '../../src/mvcc/types.js';
import type { WatchCreate, WatchHub, WatchResponseOut, WatchSession } from '../../src/watch/types.js';

/** etcd's IDs for one member with peer URL http://127.0.0.1:16380 (ETCD-WIRE.md's test vector). */
export const fakeMemberId = 1518530654159652862n;
export const fakeClusterId = 8824506472088007024n;
export const fakeRaftTerm = 2;

const keyOf = (b: Uint8Array) => Buffer.from(b).toString('latin1');

function inRange(key: Uint8Array, start: Uint8Array, end: Uint8Array): boolean {
  const k = Buffer.from(key);
  if (end.length === 0) return k.equals(Buffer.from(start));
  if (end.length === 1 && end[0] === 0) return Buffer.compare(k, Buffer.from(start)) >= 0;
  return Buffer.compare(k, Buffer.from(start)) >= 0 && Buffer.compare(k, Buffer.from(end)) < 0;
}

type Method = keyof EtcdBackend;

export class FakeBackend implements EtcdBackend {
  rev = 1;
  compacted = 0;
  readonly kvs = new Map<string, KeyValue>();
  readonly leases = new Map<bigint, { ttl: number; keys: Set<string> }>();
  readonly history: { rev: number; event: Event }[] = [];
  readonly watchHub: FakeWatchHub;
  /** Errors to throw from a method, for error-mapping tests. */
  readonly failures = new Map<Method, unknown>();
  private nextLeaseId = 7587869720405312823n;

  constructor() {
    this.watchHub = new FakeWatchHub(this);
  }

  private maybeFail(m: Method): void {
    if (this.failures.has(m)) throw this.failures.get(m);
  }

  header(revision?: number): ResponseHeader {
    return { clusterId: fakeClusterId, memberId: fakeMemberId, revision: revision ?? this.rev, raftTerm: fakeRaftTerm };
  }

  async range(req: RangeRequest): Promise<RangeResponse> {
    this.maybeFail('range');
    return this.rangeAt(req, this.rev);
  }

  private rangeAt(req: RangeRequest, headerRev: number): RangeResponse {
    if (req.revision > this.rev) throw new EtcdError('FutureRev');
    if (req.revision > 0 && req.revision < this.compacted) throw new EtcdError('Compacted');
    let kvs = [...this.kvs.values()]
      .filter((kv) => inRange(kv.key, req.key, req.rangeEnd))
      .sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));
    if (req.sortOrder === 'DESCEND') kvs.reverse();
    const count = kvs.length;
    const more = req.limit > 0 && count > req.limit;
    if (req.limit > 0) kvs = kvs.slice(0, req.limit);
    if (req.countOnly) kvs = [];
    if (req.keysOnly) kvs = kvs.map((kv) => ({ ...kv, value: new Uint8Array(0) }));
    return { kvs, more, count, revision: headerRev };
  }

  async put(req: PutRequest): Promise<PutResponse> {
    this.maybeFail('put');
    const res = this.putAt(req, this.rev + 1);
    this.rev++;
    return res;
  }

  private putAt(req: PutRequest, rev: number): PutResponse {
    if (req.lease !== 0n && !this.leases.has(req.lease)) throw new EtcdError('LeaseNotFound');
    const prev = this.kvs.get(keyOf(req.key));
    const kv: KeyValue = {
      key: req.key,
      createRevision: prev ? prev.createRevision : rev,
      modRevision: rev,
      version: prev ? prev.version + 1 : 1,
      value: req.value,
      lease: req.lease,
    };
    this.kvs.set(keyOf(req.key), kv);
    if (req.lease !== 0n) this.leases.get(req.lease)!.keys.add(keyOf(req.key));
    this.emit(rev, { type: 'PUT', kv, prevKv: prev });
    return { prevKv: req.prevKv ? prev : undefined, revision: rev };
  }

  async deleteRange(req: DeleteRangeRequest): Promise<DeleteRangeResponse> {
    this.maybeFail('deleteRange');
    const res = this.deleteAt(req, this.rev + 1);
    if (res.deleted > 0) this.rev++;
    return { ...res, revision: this.rev };
  }

  private deleteAt(req: DeleteRangeRequest, rev: number): DeleteRangeResponse {
    const gone = [...this.kvs.values()].filter((kv) => inRange(kv.key, req.key, req.rangeEnd));
    for (const kv of gone) {
      this.kvs.delete(keyOf(kv.key));
      const empty = new Uint8Array(0);
      this.emit(rev, { type: 'DELETE', kv: { key: kv.key, createRevision: 0, modRevision: rev, version: 0, value: empty, lease: 0n }, prevKv: kv });
    }
    return { deleted: gone.length, prevKvs: req.prevKv ? gone : [], revision: rev };
  }

  async txn(req: TxnRequest): Promise<TxnResponse> {
    this.maybeFail('txn');
    const before = this.rev;
    const res = this.txnAt(req, before);
    if (this.history.some((h) => h.rev === before + 1)) this.rev = before + 1;
    return { ...res, revision: this.rev };
  }

  // etcd reports a txn's inner reads at the revision it began with and its writes at the next one.
  private txnAt(req: TxnRequest, beginRev: number): TxnResponse {
    const succeeded = req.compare.every((c) => this.compare(c));
    const writesBefore = this.history.length;
    const responses = (succeeded ? req.success : req.failure).map((op) => this.op(op, beginRev));
    // A txn that wrote nothing reports its writes at the revision it began with.
    if (this.history.length === writesBefore) {
      for (const r of responses) {
        if ('responsePut' in r) r.responsePut.revision = beginRev;
        if ('responseDeleteRange' in r) r.responseDeleteRange.revision = beginRev;
      }
    }
    return { succeeded, responses, revision: beginRev };
  }

  private op(op: RequestOp, beginRev: number): ResponseOp {
    if ('requestRange' in op) return { responseRange: this.rangeAt(op.requestRange, beginRev) };
    if ('requestPut' in op) return { responsePut: this.putAt(op.requestPut, beginRev + 1) };
    if ('requestDeleteRange' in op) return { responseDeleteRange: this.deleteAt(op.requestDeleteRange, beginRev + 1) };
    return { responseTxn: this.txnAt(op.requestTxn, beginRev) };
  }

  private compare(c: Compare): boolean {
    const kv = this.kvs.get(keyOf(c.key));
    let cmp: number;
    switch (c.target) {
      case 'VERSION':
        cmp = (kv?.version ?? 0) - (c.version ?? 0);
        break;
      case 'CREATE':
        cmp = (kv?.createRevision ?? 0) - (c.createRevision ?? 0);
        break;
      case 'MOD':
        cmp = (kv?.modRevision ?? 0) - (c.modRevision ?? 0);
        break;
      case 'VALUE':
        if (!kv) return false;
        cmp = Buffer.compare(Buffer.from(kv.value), Buffer.from(c.value ?? []));
        break;
      case 'LEASE':
        cmp = Number((kv?.lease ?? 0n) - (c.lease ?? 0n));
        break;
    }
    switch (c.result) {
      case 'EQUAL':
        return cmp === 0;
      case 'NOT_EQUAL':
        return cmp !== 0;
      case 'GREATER':
        return cmp > 0;
      case 'LESS':
        return cmp < 0;
    }
  }

  async compact(req: CompactionRequest): Promise<{ revision: number }> {
    this.maybeFail('compact');
    if (req.revision <= this.compacted) throw new EtcdError('Compacted');
    if (req.revision > this.rev) throw new EtcdError('FutureRev');
    this.compacted = req.revision;
    return { revision: this.rev };
  }

  private emit(rev: number, event: Event): void {
    this.history.push({ rev, event });
    this.watchHub.notify(rev, event);
  }

  async leaseGrant(ttl: number, id: bigint): Promise<LeaseGrantResult> {
    this.maybeFail('leaseGrant');
    const leaseId = id === 0n ? this.nextLeaseId++ : id;
    if (this.leases.has(leaseId)) throw new EtcdError('LeaseExist');
    if (ttl > 9_000_000_000) throw new EtcdError('LeaseTTLTooLarge');
    this.leases.set(leaseId, { ttl, keys: new Set() });
    return { id: leaseId, ttl };
  }

  async leaseRevoke(id: bigint): Promise<{ revision: number }> {
    this.maybeFail('leaseRevoke');
    const lease = this.leases.get(id);
    if (!lease) throw new EtcdError('LeaseNotFound');
    this.leases.delete(id);
    if (lease.keys.size > 0) {
      const rev = this.rev + 1;
      for (const k of lease.keys) this.deleteAt({ key: Buffer.from(k, 'latin1'), rangeEnd: new Uint8Array(0), prevKv: false }, rev);
      this.rev = rev;
    }
    return { revision: this.rev };
  }

  async leaseKeepAlive(id: bigint): Promise<LeaseGrantResult> {
    this.maybeFail('leaseKeepAlive');
    const lease = this.leases.get(id);
    return { id, ttl: lease ? lease.ttl : 0 };
  }

  /** Remaining TTL as etcd reports it right after a grant or renewal: whole seconds, truncated. */
  async leaseTimeToLive(id: bigint, keys: boolean): Promise<LeaseTimeToLiveResult> {
    this.maybeFail('leaseTimeToLive');
    const lease = this.leases.get(id);
    if (!lease) return { id, ttl: -1, grantedTtl: 0, keys: [] };
    return {
      id,
      ttl: lease.ttl - 1,
      grantedTtl: lease.ttl,
      keys: keys ? [...lease.keys].sort().map((k) => Buffer.from(k, 'latin1')) : [],
    };
  }

  async leaseLeases(): Promise<bigint[]> {
    this.maybeFail('leaseLeases');
    return [...this.leases.keys()];
  }

  async status(): Promise<StatusInfo> {
    this.maybeFail('status');
    return {
      version: '3.4.23',
      dbSize: 20480,
      dbSizeInUse: 16384,
      leader: fakeMemberId,
      raftIndex: 4 + this.rev,
      raftTerm: fakeRaftTerm,
      raftAppliedIndex: 4 + this.rev,
      errors: [],
      isLearner: false,
    };
  }

  async memberList(): Promise<Member[]> {
    this.maybeFail('memberList');
    return [
      { id: fakeMemberId, name: 'default', peerURLs: ['http://127.0.0.1:16380'], clientURLs: ['http://127.0.0.1:12379'], isLearner: false },
    ];
  }

  readonly alarms: AlarmMember[] = [];
  async alarm(action: 'GET' | 'ACTIVATE' | 'DEACTIVATE', memberId: bigint, alarm: AlarmType): Promise<AlarmMember[]> {
    this.maybeFail('alarm');
    if (action === 'ACTIVATE') this.alarms.push({ memberId, alarm });
    return [...this.alarms];
  }

  async hash(): Promise<{ hash: number; revision: number }> {
    this.maybeFail('hash');
    return { hash: 1084519789, revision: this.rev };
  }

  async hashKV(revision: number): Promise<{ hash: number; compactRevision: number; revision: number }> {
    this.maybeFail('hashKV');
    return { hash: 3000000000 + revision, compactRevision: this.compacted, revision: this.rev };
  }

  async moveLeader(targetId: bigint): Promise<void> {
    // A single member: it already leads; anyone else is not a member.
    if (targetId !== this.header().memberId) throw new EtcdError('BadLeaderTransferee');
  }

  async defragment(): Promise<void> {
    this.maybeFail('defragment');
  }
}

/** Watchers get history from their start revision in one response, then each write as it happens. */
class FakeWatchHub implements WatchHub {
  private readonly sessions = new Set<FakeSession>();
  constructor(private readonly backend: FakeBackend) {}

  openSession(send: (r: WatchResponseOut) => void): WatchSession {
    const s = new FakeSession(this.backend, send, () => this.sessions.delete(s));
    this.sessions.add(s);
    return s;
  }

  notify(rev: number, event: Event): void {
    for (const s of this.sessions) s.notify(rev, event);
  }

  get openSessions(): number {
    return this.sessions.size;
  }
}

const response = (revision: number, watchId: number, fields: Partial<WatchResponseOut>): WatchResponseOut => ({
  revision,
  watchId,
  created: false,
  canceled: false,
  compactRevision: 0,
  cancelReason: '',
  fragment: false,
  events: [],
  ...fields,
});

class FakeSession implements WatchSession {
  private readonly watchers = new Map<number, WatchCreate>();
  private nextId = 0;
  constructor(
    private readonly backend: FakeBackend,
    private readonly send: (r: WatchResponseOut) => void,
    private readonly onClose: () => void,
  ) {}

  create(req: WatchCreate): void {
    const id = req.watchId !== 0 ? req.watchId : this.nextId++;
    const rev = this.backend.rev;
    this.send(response(rev, id, { created: true }));
    if (req.startRevision > 0 && req.startRevision <= this.backend.compacted) {
      // etcd leaves the revision out of this header.
      this.send(response(0, id, { canceled: true, compactRevision: this.backend.compacted }));
      return;
    }
    this.watchers.set(id, req);
    if (req.startRevision > 0) {
      const events = this.backend.history
        .filter((h) => h.rev >= req.startRevision && this.matches(req, h.event))
        .map((h) => this.shape(req, h.event));
      if (events.length > 0) this.send(response(rev, id, { events }));
    }
  }

  private matches(w: WatchCreate, e: Event): boolean {
    if (w.filters.includes(e.type === 'PUT' ? 'NOPUT' : 'NODELETE')) return false;
    return inRange(e.kv.key, w.key, w.rangeEnd);
  }

  private shape(w: WatchCreate, e: Event): Event {
    return w.prevKv && e.prevKv ? e : { type: e.type, kv: e.kv };
  }

  notify(rev: number, event: Event): void {
    for (const [id, w] of this.watchers) if (this.matches(w, event)) this.send(response(rev, id, { events: [this.shape(w, event)] }));
  }

  cancel(watchId: number): void {
    if (this.watchers.delete(watchId)) this.send(response(this.backend.rev, watchId, { canceled: true }));
  }

  progress(): void {
    this.send(response(this.backend.rev, -1, {}));
  }

  close(): void {
    this.watchers.clear();
    this.onClose();
  }
}
