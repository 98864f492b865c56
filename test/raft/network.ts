// A deterministic network of RawNodes for protocol tests (after etcd raft's test `network`).
//
// Every node has a MemoryStorage. `pump()` handles each node's Ready in the documented order
// (persist snapshot, entries and hard state; then send; then apply; then advance) and delivers
// the messages sent, until nothing moves. Nothing happens by itself: time passes only through
// `tick()`, elections start through ticks or `campaign()`.
//
//   const net = Network.bootstrap([1, 2, 3]);
//   net.campaign(1);                // 1 becomes leader of term 2
//   net.propose(1, 'x'); net.pump();
//   net.appliedData(3);             // ['x']
//
// The harness is also the application: its state machine is the list of applied entries, and
// it asserts State Machine Safety on every apply (two nodes never apply different entries at
// the same index) and Election Safety on every step (at most one leader per term).

import assert from 'node:assert/strict';
import { MemoryStorage } from '../../src/raft/storage.js';
import { RawNode } from '../../src/raft/rawnode.js';
import type { RaftConfig } from '../../src/raft/config.js';
import { decodeConfChange } from '../../src/raft/confchange/codec.js';
import type { Raft } from '../../src/raft/raft.js';
import {
  message,
  type ConfChange,
  type ConfState,
  type Entry,
  type Index,
  type Message,
  type MessageType,
  type NodeId,
  type ReadState,
  type Ready,
  type Role,
  type Snapshot,
  type Term,
} from '../../src/raft/types.js';
import { Prng } from '../../src/util/prng.js';

export type NodeOptions = Partial<Omit<RaftConfig, 'id' | 'group' | 'storage' | 'rand' | 'applied'>>;

export interface BootstrapOptions extends NodeOptions {
  /** Learners of the initial configuration (they get a node too). */
  learners?: NodeId[];
  /** Seeds every node's election-timeout randomness (node i gets seed * 1000 + i). */
  seed?: number;
  /**
   * Pre-existing logs, as the term of each entry from index 1 on (index 1 is the bootstrap
   * snapshot and must have term 1). The node's hard state term is the last of them.
   */
  logs?: Record<NodeId, number[]>;
}

/** Drops messages that match every field given, or for which the predicate says so. */
export type DropRule = { type?: MessageType | MessageType[]; from?: NodeId; to?: NodeId } | ((m: Message) => boolean);

export const GROUP = 1;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function bytes(s: string): Uint8Array {
  return encoder.encode(s);
}

export function text(data: Uint8Array): string {
  return decoder.decode(data);
}

export class Network {
  readonly nodes = new Map<NodeId, RawNode>();
  readonly storages = new Map<NodeId, MemoryStorage>();
  /** Each node's state machine: the entries it applied, in order (empty and conf entries too). */
  readonly applied = new Map<NodeId, Entry[]>();
  readonly readStates = new Map<NodeId, ReadState[]>();
  /** Every message handed to the network (after its Ready was persisted), delivered or not. */
  readonly sent: Message[] = [];
  /** Messages dropped by a partition, a drop rule or a crashed receiver. */
  readonly dropped: Message[] = [];
  /** Every (term, leader) pair ever observed. */
  readonly leaders = new Map<Term, NodeId>();
  /** Called with every Ready before it is handled. */
  onReady: ((id: NodeId, rd: Ready) => void) | undefined = undefined;
  /** Report the outcome of each 'snap' message to its sender, as a transport does. */
  reportSnapshots = true;

  private readonly options = new Map<NodeId, NodeOptions>();
  /** The options given to bootstrap, for nodes added later. */
  private defaults: NodeOptions = {};
  private readonly seed: number;
  private restarts = 0;
  private inflight: Message[] = [];
  private rules: DropRule[] = [];
  private cuts = new Set<string>();
  private isolated = new Set<NodeId>();
  /** What was applied at each index anywhere, for the State Machine Safety check. */
  private appliedAt = new Map<number, Entry>();

  private constructor(seed: number) {
    this.seed = seed;
  }

  /**
   * A cluster whose every member starts from the same snapshot at index 1, term 1, holding the
   * configuration (like a freshly bootstrapped etcd cluster).
   */
  static bootstrap(voters: NodeId[], opts: BootstrapOptions = {}): Network {
    const { learners = [], seed = 1, logs = {}, ...nodeOpts } = opts;
    const net = new Network(seed);
    net.defaults = nodeOpts;
    const confState: ConfState = { voters, learners, votersOutgoing: [], learnersNext: [], autoLeave: false };
    for (const id of [...voters, ...learners]) {
      const storage = new MemoryStorage();
      storage.applySnapshot({ metadata: { index: 1 as Index, term: 1 as Term, confState }, data: encodeState([]) });
      let term = 1;
      const terms = logs[id];
      if (terms) {
        assert.equal(terms[0], 1, 'index 1 is the bootstrap snapshot, of term 1');
        storage.append(terms.slice(1).map((t, i) => ({ term: t as Term, index: (i + 2) as Index, type: 'normal', data: bytes(`t${t}`) })));
        term = terms[terms.length - 1]!;
      }
      storage.setHardState({ term: term as Term, vote: 0, commit: 1 as Index });
      net.start(id, storage, nodeOpts);
    }
    return net;
  }

  /** Starts a node that is in no configuration yet, with an empty log (a joining member). */
  addNode(id: NodeId, opts: NodeOptions = {}): RawNode {
    return this.start(id, new MemoryStorage(), { ...this.defaults, ...opts });
  }

  private start(id: NodeId, storage: MemoryStorage, opts: NodeOptions): RawNode {
    const node = new RawNode({
      electionTicks: 10,
      heartbeatTicks: 1,
      ...opts,
      id,
      group: GROUP,
      storage,
      rand: new Prng(this.seed * 1000 + id + 100_000 * this.restarts),
    });
    this.options.set(id, opts);
    this.storages.set(id, storage);
    this.nodes.set(id, node);
    if (!this.applied.has(id)) this.applied.set(id, []);
    if (!this.readStates.has(id)) this.readStates.set(id, []);
    return node;
  }

  // -------------------------------------------------------------------------------------------
  // Looking at nodes.

  node(id: NodeId): RawNode {
    const n = this.nodes.get(id);
    assert.ok(n, `node ${id} is down`);
    return n;
  }

  raft(id: NodeId): Raft {
    return this.node(id).raft;
  }

  state(id: NodeId): Role {
    return this.raft(id).state;
  }

  term(id: NodeId): Term {
    return this.raft(id).term;
  }

  committed(id: NodeId): Index {
    return this.raft(id).raftLog.committed;
  }

  /** The live leader of the highest term, if any. */
  leader(): NodeId | undefined {
    let best: NodeId | undefined;
    for (const [id, n] of this.nodes) {
      if (n.raft.state === 'leader' && (best === undefined || n.raft.term > this.term(best))) best = id;
    }
    return best;
  }

  /** The node's durable log (what survives a crash). */
  log(id: NodeId): Entry[] {
    const s = this.storages.get(id)!;
    if (s.lastIndex() < s.firstIndex()) return [];
    return s.entries(s.firstIndex(), (s.lastIndex() + 1) as Index, Infinity);
  }

  /** The terms of the node's log from index 1 on (compacted entries as 0, the snapshot point by its term). */
  logTerms(id: NodeId): number[] {
    const s = this.storages.get(id)!;
    const out: number[] = [];
    for (let i = 1; i <= s.lastIndex(); i++) out.push(i < s.firstIndex() - 1 ? 0 : s.term(i as Index));
    return out;
  }

  /** Payloads of the normal, non-empty entries the node applied. */
  appliedData(id: NodeId): string[] {
    return this.applied
      .get(id)!
      .filter((e) => e.type === 'normal' && e.data.length > 0)
      .map((e) => text(e.data));
  }

  lastApplied(id: NodeId): Index {
    const a = this.applied.get(id)!;
    return (a.length === 0 ? 0 : a[a.length - 1]!.index) as Index;
  }

  /** Messages sent since `mark` (a previous `sent.length`) that match the rule. */
  sentSince(mark: number, rule: DropRule = {}): Message[] {
    return this.sent.slice(mark).filter((m) => matches(rule, m));
  }

  // -------------------------------------------------------------------------------------------
  // Driving nodes.

  campaign(id: NodeId): void {
    this.node(id).campaign();
    this.observe(id);
    this.pump();
  }

  propose(id: NodeId, data: string): void {
    this.node(id).propose(bytes(data));
  }

  proposeConfChange(id: NodeId, cc: ConfChange): void {
    this.node(id).proposeConfChange(cc);
  }

  /** Ticks the given nodes (all live nodes by default) n times, pumping after each tick. */
  tick(n = 1, ids?: NodeId[]): void {
    for (let i = 0; i < n; i++) {
      for (const id of ids ?? [...this.nodes.keys()]) {
        const node = this.nodes.get(id);
        if (!node) continue;
        node.tick();
        this.observe(id);
      }
      this.pump();
    }
  }

  /** Handles Readies and delivers messages until nothing is left to do. */
  pump(): void {
    for (let round = 0; ; round++) {
      assert.ok(round < 10_000, 'the network did not settle');
      let moved = false;
      for (const [id, node] of [...this.nodes].sort((a, b) => a[0] - b[0])) {
        if (!node.hasReady()) continue;
        this.handleReady(id);
        moved = true;
      }
      const msgs = this.inflight;
      this.inflight = [];
      for (const m of msgs) this.deliver(m);
      if (!moved && msgs.length === 0) return;
    }
  }

  /** Takes the node's Ready and does everything it asks, in order. Returns the Ready. */
  handleReady(id: NodeId): Ready {
    return this.handle(id, true);
  }

  /**
   * Handles the node's Ready like handleReady but keeps its messages off the network and
   * returns them (for tests that step single messages by hand).
   */
  drain(id: NodeId): Message[] {
    return this.node(id).hasReady() ? this.handle(id, false).messages : [];
  }

  private handle(id: NodeId, send: boolean): Ready {
    const node = this.node(id);
    const rd = node.ready();
    this.onReady?.(id, rd);
    this.persist(id, rd);
    if (send) this.send(rd.messages);
    this.apply(id, rd);
    node.advance(rd);
    this.observe(id);
    return rd;
  }

  /** Steps a message into a node by hand (it need not have been sent by anyone). */
  stepMsg(m: Partial<Message> & Pick<Message, 'type' | 'from' | 'to'>): void {
    this.node(m.to).step(message({ group: GROUP, ...m }));
    this.observe(m.to);
  }

  /** Step 1 of handling a Ready: make its snapshot, entries and hard state durable. */
  persist(id: NodeId, rd: Ready): void {
    const s = this.storages.get(id)!;
    if (rd.snapshot) s.applySnapshot(rd.snapshot);
    s.append(rd.entries);
    if (rd.hardState) s.setHardState(rd.hardState);
  }

  /** Step 2: hand messages to the network (they are delivered by pump()). */
  send(msgs: Message[]): void {
    for (const m of msgs) {
      this.sent.push(m);
      this.inflight.push(m);
    }
  }

  /** Step 3: apply the snapshot and the committed entries, and collect read states. */
  apply(id: NodeId, rd: Ready): void {
    const node = this.node(id);
    let sm = this.applied.get(id)!;
    if (rd.snapshot) {
      sm = decodeState(rd.snapshot.data);
      for (const e of sm) this.checkApplied(id, e);
      this.applied.set(id, sm);
    }
    for (const e of rd.committedEntries) {
      // After a restart the log is applied again from the snapshot on: the state machine
      // already has those entries, but the Raft core must see the conf changes again.
      const fresh = e.index > this.lastApplied(id);
      if (e.type === 'conf-change') node.applyConfChange(decodeConfChange(e.data));
      if (!fresh) continue;
      this.checkApplied(id, e);
      sm.push(e);
    }
    this.readStates.get(id)!.push(...rd.readStates);
  }

  private checkApplied(id: NodeId, e: Entry): void {
    const prev = this.appliedAt.get(e.index);
    if (prev === undefined) {
      this.appliedAt.set(e.index, e);
      return;
    }
    assert.ok(
      prev.term === e.term && prev.type === e.type && text(prev.data) === text(e.data),
      `State Machine Safety: node ${id} applied ${describe(e)} at index ${e.index}, another node applied ${describe(prev)}`,
    );
  }

  /**
   * Log Matching: "If two logs contain an entry with the same index and term, then the logs
   * are identical in all entries up through the given index." Checked on the durable logs.
   */
  checkLogMatching(): void {
    const logs = [...this.storages.keys()].map((id) => ({ id, byIndex: new Map(this.log(id).map((e) => [e.index as number, e])) }));
    for (const a of logs) {
      for (const b of logs) {
        if (a.id >= b.id) continue;
        // The highest index where both hold the same term; below it they must agree.
        let top = 0;
        for (const [i, e] of a.byIndex) if (i > top && b.byIndex.get(i)?.term === e.term) top = i;
        for (const [i, e] of a.byIndex) {
          const other = b.byIndex.get(i);
          if (i > top || !other) continue;
          assert.ok(other.term === e.term && text(other.data) === text(e.data), `Log Matching: nodes ${a.id} and ${b.id} differ at ${i}`);
        }
      }
    }
  }

  /** Records who leads which term, and checks Election Safety. */
  private observe(id: NodeId): void {
    const r = this.nodes.get(id)?.raft;
    if (!r || r.state !== 'leader') return;
    const other = this.leaders.get(r.term);
    assert.ok(other === undefined || other === id, `Election Safety: ${other} and ${id} both lead term ${r.term}`);
    this.leaders.set(r.term, id);
  }

  /** Delivers one message now, unless a partition, a rule or a crash drops it. */
  deliver(m: Message): void {
    const to = this.nodes.get(m.to);
    if (!to || this.isDropped(m)) {
      this.dropped.push(m);
      if (m.type === 'snap' && this.reportSnapshots) this.nodes.get(m.from)?.reportSnapshot(m.to, false);
      return;
    }
    // A forwarded proposal may be dropped by the leader; the proposer would time out and retry.
    to.step(m);
    this.observe(m.to);
    if (m.type === 'snap' && this.reportSnapshots) this.nodes.get(m.from)?.reportSnapshot(m.to, true);
  }

  private isDropped(m: Message): boolean {
    if (this.isolated.has(m.from) || this.isolated.has(m.to)) return true;
    if (this.cuts.has(`${m.from}-${m.to}`)) return true;
    return this.rules.some((r) => matches(r, m));
  }

  // -------------------------------------------------------------------------------------------
  // Faults.

  /** Cuts the node off from every other node (both directions). */
  isolate(id: NodeId): void {
    this.isolated.add(id);
  }

  /** Cuts the link between a and b (both directions). */
  cut(a: NodeId, b: NodeId): void {
    this.cuts.add(`${a}-${b}`).add(`${b}-${a}`);
  }

  /** Drops matching messages until the returned function (or recover()) lifts the rule. */
  drop(rule: DropRule): () => void {
    this.rules.push(rule);
    return () => {
      this.rules = this.rules.filter((r) => r !== rule);
    };
  }

  /** Heals every partition and lifts every drop rule. */
  recover(): void {
    this.isolated.clear();
    this.cuts.clear();
    this.rules = [];
  }

  /** Stops the node: whatever it did not persist through a Ready is lost. */
  crash(id: NodeId): void {
    assert.ok(this.nodes.delete(id), `node ${id} is already down`);
  }

  /** Starts the node again from its MemoryStorage. */
  restart(id: NodeId): RawNode {
    assert.ok(!this.nodes.has(id), `node ${id} is running`);
    this.restarts++;
    return this.start(id, this.storages.get(id)!, this.options.get(id)!);
  }

  /**
   * Snapshots the node's state machine at its applied index, with its current configuration,
   * and discards the log up to there (what an application does to bound its log).
   */
  compact(id: NodeId): Snapshot {
    const s = this.storages.get(id)!;
    const at = this.node(id).status().applied;
    const state = this.applied.get(id)!.filter((e) => e.index <= at);
    const snap = s.createSnapshot(at, this.node(id).status().config, encodeState(state));
    s.compact(at);
    return snap;
  }
}

function matches(rule: DropRule, m: Message): boolean {
  if (typeof rule === 'function') return rule(m);
  if (rule.from !== undefined && rule.from !== m.from) return false;
  if (rule.to !== undefined && rule.to !== m.to) return false;
  if (rule.type !== undefined && !(Array.isArray(rule.type) ? rule.type.includes(m.type) : rule.type === m.type)) return false;
  return true;
}

function describe(e: Entry): string {
  return `${e.type}(term ${e.term}, ${JSON.stringify(text(e.data))})`;
}

// The state machine image carried in snapshots: the applied entries, as JSON.
function encodeState(entries: Entry[]): Uint8Array {
  return bytes(JSON.stringify(entries.map((e) => ({ ...e, data: text(e.data) }))));
}

function decodeState(data: Uint8Array): Entry[] {
  const raw = JSON.parse(text(data)) as Array<Omit<Entry, 'data'> & { data: string }>;
  return raw.map((e) => ({ ...e, data: bytes(e.data) }));
}
