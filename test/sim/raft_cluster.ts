// A simulated Raft group: RawNodes over the faulty Network, each with a simulated disk (a
// MemoryStorage that holds only what was persisted) and a tiny state machine (a running
// fingerprint of the applied entries). Every event is followed by the invariant checks.
//
// Disk model: handling a Ready takes `diskDelay` time units (a slow disk takes longer). Only
// when it completes are its entries and hard state written, its messages sent, its committed
// entries applied and advance() called. A crash before that loses the whole Ready, as a
// process killed before fsync would.

import {
  MemoryStorage,
  ProposalDroppedError,
  RawNode,
  decodeConfChange,
  emptyConfState,
  type ConfChange,
  type ConfState,
  type Entry,
  type Index,
  type Message,
  type NodeId,
  type Ready,
  type ReadOnlyOption,
  type Snapshot,
  type Term,
} from '../../src/raft/index.js';
import { assert } from '../../src/util/assert.js';
import { Invariants, entryFingerprint, type VoterSets } from './invariants.js';
import { Network } from './network.js';
import type { World } from './world.js';

export interface ClusterOptions {
  voters: NodeId[];
  learners: NodeId[];
  /** Nodes that start empty and may be added later. */
  spares: NodeId[];
  preVote: boolean;
  checkQuorum: boolean;
  readOnlyOption: ReadOnlyOption;
  electionTicks: number;
  heartbeatTicks: number;
  msgBytesMax: number;
  inflightMsgsMax: number;
  /** Take a snapshot and compact when this many entries were applied since the last one. */
  snapshotEntries: number;
  /** Entries kept before the snapshot point when compacting (a lagging follower may still use them). */
  compactKeepEntries: number;
  /** Virtual time units per tick. */
  tickUnits: number;
  latency: [number, number];
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const bootIndex = 1 as Index;
const bootTerm = 1 as Term;

interface MachineImage {
  applied: number;
  fp: string;
}

export class SimNode {
  raw: RawNode | undefined;
  up = false;
  /** Bumped on every crash, so events of an old incarnation are ignored. */
  incarnation = 0;
  busy = false;
  slowDisk = false;
  readonly disk = new MemoryStorage();
  /** Durable chained fingerprints by index (see invariants.ts). */
  readonly chain = new Map<number, string>();
  // The state machine.
  appliedIndex = 0;
  appliedFp = 'boot';
  confState: ConfState = emptyConfState();
  lastSnapshotIndex = 0;
  wasLeaderInTerm = 0;

  constructor(readonly id: NodeId) {}
}

export class RaftCluster {
  readonly nodes = new Map<NodeId, SimNode>();
  readonly net: Network<Message>;
  readonly inv = new Invariants(bootIndex, bootTerm);
  /** Pending reads: ctx -> lowest acceptable read index. */
  private readonly reads = new Map<string, { node: NodeId; minIndex: number }>();
  readsServed = 0;
  proposalsApplied = new Set<string>();
  proposed = 0;
  private nextProposal = 1;
  private nextRead = 1;
  /** Entries applied by anyone, by proposal id: used by liveness checks. */
  readonly appliedBy = new Map<string, Set<NodeId>>();

  constructor(
    readonly world: World,
    readonly opts: ClusterOptions,
  ) {
    this.net = new Network<Message>(world, opts.latency, (m) => this.deliver(m));
    const cs: ConfState = { ...emptyConfState(), voters: [...opts.voters], learners: [...opts.learners] };
    for (const id of [...opts.voters, ...opts.learners]) {
      const n = new SimNode(id);
      const image: MachineImage = { applied: bootIndex, fp: 'boot' };
      n.disk.applySnapshot({ metadata: { index: bootIndex, term: bootTerm, confState: cs }, data: encoder.encode(JSON.stringify(image)) });
      n.chain.set(bootIndex, 'boot');
      this.nodes.set(id, n);
    }
    for (const id of opts.spares) this.nodes.set(id, new SimNode(id));
    for (const id of [...opts.voters, ...opts.learners]) this.start(id);
  }

  node(id: NodeId): SimNode {
    const n = this.nodes.get(id);
    assert(n, `no node ${id}`);
    return n;
  }

  upNodes(): SimNode[] {
    return [...this.nodes.values()].filter((n) => n.up);
  }

  /** The leader with the highest term among up nodes, if any. */
  leader(): SimNode | undefined {
    let best: SimNode | undefined;
    for (const n of this.nodes.values()) {
      if (!n.up || n.raw!.raft.state !== 'leader') continue;
      if (!best || n.raw!.raft.term > best.raw!.raft.term) best = n;
    }
    return best;
  }

  // -------------------------------------------------------------------------------------------
  // Node lifecycle.

  /** Starts (or restarts) a node from what its disk holds. */
  start(id: NodeId): void {
    const n = this.node(id);
    assert(!n.up, `node ${id} is already up`);
    const snap = n.disk.snapshot();
    this.restoreMachine(n, snap);
    n.raw = new RawNode({
      id,
      group: 1,
      storage: n.disk,
      applied: snap.metadata.index,
      electionTicks: this.opts.electionTicks,
      heartbeatTicks: this.opts.heartbeatTicks,
      preVote: this.opts.preVote,
      checkQuorum: this.opts.checkQuorum,
      readOnlyOption: this.opts.readOnlyOption,
      msgBytesMax: this.opts.msgBytesMax,
      inflightMsgsMax: this.opts.inflightMsgsMax,
      rand: this.world.rand.fork(),
    });
    n.up = true;
    n.busy = false;
    n.wasLeaderInTerm = 0;
    this.world.trace.str('start').u32(id);
    this.afterEvent(n);
  }

  crash(id: NodeId): void {
    const n = this.node(id);
    if (!n.up) return;
    n.up = false;
    n.busy = false;
    n.raw = undefined;
    n.incarnation++;
    this.world.trace.str('crash').u32(id);
    // Reads asked at this node are gone with it.
    for (const [ctx, r] of this.reads) if (r.node === id) this.reads.delete(ctx);
  }

  tickAll(): void {
    this.world.trace.str('tick');
    for (const n of this.nodes.values()) {
      if (!n.up) continue;
      n.raw!.tick();
      this.afterEvent(n);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Client operations.

  /** Proposes a new unique entry at node id. Returns its payload, or undefined if dropped. */
  propose(id: NodeId): string | undefined {
    const n = this.node(id);
    if (!n.up) return undefined;
    const data = `p${this.nextProposal++}`;
    this.world.trace.str('prop').u32(id);
    try {
      n.raw!.propose(encoder.encode(data));
    } catch (err) {
      if (err instanceof ProposalDroppedError) return undefined;
      throw err;
    }
    this.proposed++;
    this.afterEvent(n);
    return data;
  }

  proposeConfChange(id: NodeId, cc: ConfChange): boolean {
    const n = this.node(id);
    if (!n.up) return false;
    this.world.trace.str('conf').u32(id);
    try {
      n.raw!.proposeConfChange(cc);
    } catch (err) {
      if (err instanceof ProposalDroppedError) return false;
      throw err;
    }
    this.afterEvent(n);
    return true;
  }

  read(id: NodeId): void {
    const n = this.node(id);
    if (!n.up) return;
    const ctx = `r${this.nextRead++}`;
    // Whatever any node has applied by now (and so could have acknowledged to a client), the
    // read must observe. (An entry committed in a leader's memory but not yet applied anywhere
    // is still in flight: a read may order itself before it.)
    let minIndex = 0;
    for (const x of this.nodes.values()) if (x.appliedIndex > minIndex) minIndex = x.appliedIndex;
    this.reads.set(ctx, { node: id, minIndex });
    this.world.trace.str('read').u32(id);
    try {
      n.raw!.readIndex(ctx);
    } catch (err) {
      if (!(err instanceof ProposalDroppedError)) throw err;
      this.reads.delete(ctx);
    }
    this.afterEvent(n);
  }

  transferLeader(to: NodeId): void {
    const l = this.leader();
    if (!l) return;
    this.world.trace.str('transfer').u32(to);
    try {
      l.raw!.transferLeader(to);
    } catch (err) {
      if (!(err instanceof ProposalDroppedError)) throw err;
    }
    this.afterEvent(l);
  }

  // -------------------------------------------------------------------------------------------
  // Event handling.

  private deliver(m: Message): boolean {
    const n = this.nodes.get(m.to);
    if (!n || !n.up) return false;
    const t = this.world.trace;
    t.u32(m.from).u32(m.to).str(m.type).num(m.term).num(m.index).u32(m.entries.length);
    n.raw!.step(m);
    this.afterEvent(n);
    return true;
  }

  /** After anything happened at n: start a disk write if a Ready is waiting, then check. */
  private afterEvent(n: SimNode): void {
    if (!n.up) return;
    const raw = n.raw!;
    if (!n.busy && raw.hasReady()) {
      const rd = raw.ready();
      n.busy = true;
      const inc = n.incarnation;
      const delay = n.slowDisk ? 5 + this.world.rand.int(40) : this.world.rand.int(2);
      this.world.after(delay, () => {
        if (n.incarnation !== inc || !n.up) return; // Crashed meanwhile: the Ready is lost.
        this.handleReady(n, rd);
      });
    }
    this.observe(n);
  }

  private handleReady(n: SimNode, rd: Ready): void {
    const raw = n.raw!;
    const t = this.world.trace;
    t.str('ready').u32(n.id).u32(rd.entries.length).u32(rd.committedEntries.length).u32(rd.messages.length);
    // 1. Persist.
    if (rd.snapshot) {
      n.disk.applySnapshot(rd.snapshot);
      const fp = this.inv.chainAt(rd.snapshot.metadata.index, rd.snapshot.metadata.term);
      assert(fp !== undefined, `snapshot ${rd.snapshot.metadata.index} of an entry nobody appended`);
      n.chain.clear();
      n.chain.set(rd.snapshot.metadata.index, fp);
    }
    if (rd.entries.length > 0) this.persistEntries(n, rd.entries);
    if (rd.hardState) n.disk.setHardState(rd.hardState);
    // 2. Send.
    for (const m of rd.messages) {
      if (m.type === 'vote-resp' && !m.reject) this.inv.recordGrant(m.from, m.to, m.term);
      for (const e of m.entries) Object.freeze(e);
      if (m.type === 'snap') {
        // Snapshots travel on a stream whose sender learns the outcome (etcd reports it with
        // ReportSnapshot); without that the leader would wait for this follower forever.
        const inc = n.incarnation;
        this.net.send(m, (ok) => {
          if (n.incarnation !== inc || !n.up) return;
          n.raw!.reportSnapshot(m.to, ok);
          this.afterEvent(n);
        });
      } else {
        this.net.send(m);
      }
    }
    // 3. Apply.
    if (rd.snapshot) this.restoreMachine(n, rd.snapshot);
    for (const e of rd.committedEntries) this.apply(n, e);
    for (const rs of rd.readStates) {
      const r = this.reads.get(rs.requestCtx);
      if (!r) continue;
      this.reads.delete(rs.requestCtx);
      if (rs.index < r.minIndex) {
        this.inv.fail('linearizable read', `read ${rs.requestCtx} at node ${n.id} got index ${rs.index} < ${r.minIndex} committed before it was asked`);
      }
      this.readsServed++;
    }
    n.busy = false;
    raw.advance(rd);
    this.maybeCompact(n);
    this.afterEvent(n);
  }

  private persistEntries(n: SimNode, entries: Entry[]): void {
    n.disk.append(entries);
    const first = entries[0]!.index;
    const last = n.disk.lastIndex();
    // Entries past the new end were truncated away.
    for (const i of [...n.chain.keys()]) if (i > last) n.chain.delete(i);
    for (const e of entries) {
      if (e.index < n.disk.firstIndex()) continue;
      const prev = n.chain.get(e.index - 1);
      assert(prev !== undefined, `node ${n.id}: no fingerprint for ${e.index - 1} before appending ${first}`);
      n.chain.set(e.index, this.inv.recordAppend(n.id, prev, e));
    }
  }

  private apply(n: SimNode, e: Entry): void {
    assert(e.index === n.appliedIndex + 1, `node ${n.id} applies ${e.index} after ${n.appliedIndex}`);
    this.inv.recordApply(n.id, e, `${e.term}:${e.type}:${decoder.decode(e.data)}`);
    n.appliedIndex = e.index;
    // The state machine's digest: every applied entry, in order.
    n.appliedFp = entryFingerprint(n.appliedFp, e);
    if (e.type === 'conf-change') {
      n.confState = n.raw!.applyConfChange(decodeConfChange(e.data));
      // A snapshot taken right after a membership change includes it, so a node added by it
      // can always be caught up from the snapshot.
      this.snapshot(n);
    } else if (e.data.length > 0) {
      const id = decoder.decode(e.data);
      let s = this.appliedBy.get(id);
      if (!s) this.appliedBy.set(id, (s = new Set()));
      s.add(n.id);
      this.proposalsApplied.add(id);
    }
  }

  private restoreMachine(n: SimNode, snap: Snapshot): void {
    if (snap.metadata.index === 0) {
      n.appliedIndex = 0;
      n.appliedFp = 'empty';
      n.confState = emptyConfState();
      n.lastSnapshotIndex = 0;
      return;
    }
    const image = JSON.parse(decoder.decode(snap.data)) as MachineImage;
    assert(image.applied === snap.metadata.index, 'snapshot image does not match its index');
    n.appliedIndex = image.applied;
    n.appliedFp = image.fp;
    n.confState = snap.metadata.confState;
    n.lastSnapshotIndex = snap.metadata.index;
  }

  private snapshot(n: SimNode): void {
    if (n.appliedIndex <= n.disk.snapshot().metadata.index) return;
    const image: MachineImage = { applied: n.appliedIndex, fp: n.appliedFp };
    n.disk.createSnapshot(n.appliedIndex as Index, n.confState, encoder.encode(JSON.stringify(image)));
    n.lastSnapshotIndex = n.appliedIndex;
  }

  private maybeCompact(n: SimNode): void {
    if (n.appliedIndex - n.lastSnapshotIndex < this.opts.snapshotEntries) return;
    this.snapshot(n);
    const compactTo = n.appliedIndex - this.opts.compactKeepEntries;
    if (compactTo > n.disk.firstIndex()) n.disk.compact(compactTo as Index);
  }

  /** Invariant checks after an event at n. */
  private observe(n: SimNode): void {
    const r = n.raw!.raft;
    // A leader demoted to learner may keep leading (see Raft.switchToConfig), but a learner
    // never starts an election nor wins one.
    if (r.isLearner && (r.state === 'candidate' || r.state === 'pre-candidate')) {
      this.inv.fail('learners never campaign', `learner ${n.id} is ${r.state}`);
    }
    if (r.state === 'leader') {
      if (n.wasLeaderInTerm !== r.term) {
        n.wasLeaderInTerm = r.term;
        if (r.isLearner) this.inv.fail('learners never campaign', `learner ${n.id} became leader of term ${r.term}`);
        this.inv.recordLeader(n.id, r.term, this.voterSets(n), (i, t) => r.raftLog.matchTerm(i, t) || r.raftLog.firstIndex() - 1 > i);
      }
      const c = r.raftLog.committed;
      if (!this.inv.commit || c > this.inv.commit.index) {
        const term = r.raftLog.termOrUndefined(c);
        assert(term !== undefined, 'leader cannot find the term of its commit index');
        this.inv.recordCommit({ index: c, term, config: this.voterSets(n), leader: n.id });
      }
    }
    this.inv.checkDurable((id, i, t) => this.durablyHas(id, i, t));
  }

  private voterSets(n: SimNode): VoterSets {
    const v = n.raw!.raft.trk.config.voters;
    return { incoming: v.incoming.ids, outgoing: v.outgoing.ids };
  }

  private durablyHas(id: NodeId, i: Index, t: Term): boolean {
    const n = this.nodes.get(id);
    if (!n) return false;
    const snap = n.disk.snapshot().metadata;
    if (snap.index >= i) return true;
    if (i > n.disk.lastIndex() || i < n.disk.firstIndex()) return false;
    return n.disk.term(i) === t;
  }

  describeNode(id: NodeId): string {
    const n = this.node(id);
    if (!n.up) return `${id}: down`;
    const st = n.raw!.status();
    const pr = this.leader()?.raw!.status().progress?.get(id);
    return (
      `${id}: ${st.softState.role} term ${st.hardState.term} commit ${st.hardState.commit} applied ${n.appliedIndex} ` +
      `disk [${n.disk.firstIndex()}, ${n.disk.lastIndex()}] busy ${n.busy}` +
      (pr ? ` progress ${pr.state} match ${pr.match} next ${pr.next} active ${pr.recentActive}` : '')
    );
  }

  /** The nodes named by id's own configuration (as of what it has applied). */
  configOf(id: NodeId): NodeId[] {
    const cs = this.node(id).confState;
    return [...cs.voters, ...cs.learners, ...cs.votersOutgoing, ...cs.learnersNext];
  }

  /** Every node some up node's configuration names (voter, learner, outgoing). */
  members(): Set<NodeId> {
    let best: SimNode | undefined;
    for (const n of this.nodes.values()) {
      if (n.appliedIndex > 0 && (!best || n.appliedIndex > best.appliedIndex)) best = n;
    }
    const cs = best!.confState;
    return new Set([...cs.voters, ...cs.learners, ...cs.votersOutgoing, ...cs.learnersNext]);
  }
}
