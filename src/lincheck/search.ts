// The Wing & Gong search with Lowe's cache, over one partition.
//
// The history is a doubly linked list of call and return entries in time order. The search walks
// it from the front: at a call it tries to linearize that operation next (apply it to the model,
// then lift its call and return out of the list and start again from the front); at a return it
// has met an operation that had to be linearized by now but was not, so it undoes the most recent
// choice and tries the next candidate after it. It succeeds when every operation with a known
// outcome is linearized, and fails when there is no choice left to undo.
//
//   p0 |--write 1--|
//   p1      |------read → 1------|
//   p2                |--write 2--|
//
//   list: call w1, call r, ret w1, call w2, ret r, ret w2
//   w1 (state 1), r (1 = 1, ok), w2 (state 2): linearizable as w1, r, w2.
//
// Operations with an unknown outcome return at +Infinity: they may be linearized anywhere after
// their call, or never. Linearizing one as a no-op (it leaves the state as it was) is never
// needed, since leaving it out keeps every later option open, so the search does not try it.

import { LinearizedSet, VisitedCache } from './cache.js';
import type { Model, Operation } from './model.js';
import { assert } from '../util/assert.js';

export interface SearchLimits {
  /** The search gives up when `clock()` reaches `deadline` (same unit as the clock). */
  readonly deadline: number;
  readonly clock: () => number;
  readonly cacheEntriesMax: number;
}

export interface Placed<Input, Output, State> {
  readonly op: Operation<Input, Output>;
  readonly stateAfter: State;
}

export type PartitionOutcome<Input, Output, State> =
  | { readonly kind: 'linearizable'; readonly order: readonly Placed<Input, Output, State>[] }
  | ({ readonly kind: 'violation' } & Stuck<Input, Output, State>)
  | { readonly kind: 'timeout'; readonly configurations: number };

/**
 * Where the search got furthest before failing. `stuck` returned at the end of the shortest
 * prefix of the history that cannot be linearized; `prefix` is one linearization of everything
 * before that point, and `unplaced` the operations invoked before `stuck` returned that this
 * linearization leaves out (it includes `stuck`). `state` is the model state after `prefix`.
 */
export interface Stuck<Input, Output, State> {
  readonly stuck: Operation<Input, Output>;
  readonly prefix: readonly Placed<Input, Output, State>[];
  readonly unplaced: readonly Operation<Input, Output>[];
  readonly state: State;
}

interface Entry {
  /** Index into the partition's operations; -1 for the list head. */
  readonly op: number;
  readonly isCall: boolean;
  /** Position in the time-ordered list before anything was lifted. */
  readonly rank: number;
  match: Entry | null;
  prev: Entry | null;
  next: Entry | null;
}

interface Frame<State> {
  readonly call: Entry;
  readonly stateBefore: State;
  readonly nexts: readonly State[];
  /** Which of `nexts` is being explored. */
  readonly k: number;
}

const clockCheckSteps = 1024;

export function searchPartition<State, Input, Output>(
  model: Model<State, Input, Output>,
  ops: readonly Operation<Input, Output>[],
  limits: SearchLimits,
): PartitionOutcome<Input, Output, State> {
  const head = buildList(ops);
  const linearized = new LinearizedSet(ops.length);
  const cache = new VisitedCache<State>(model, limits.cacheEntriesMax, ops.length);
  const stack: Frame<State>[] = [];
  let state = model.init();
  let knownLeft = ops.filter((op) => op.outcome.known).length;
  let best: Stuck<Input, Output, State> | null = null;
  let bestRank = -1;

  const tryPlace = (call: Entry, nexts: readonly State[], k0: number): boolean => {
    const op = ops[call.op]!;
    for (let k = k0; k < nexts.length; k++) {
      const next = nexts[k]!;
      if (!op.outcome.known && model.equal(next, state)) continue;
      linearized.add(call.op);
      if (cache.add(linearized, next)) {
        stack.push({ call, stateBefore: state, nexts, k });
        state = next;
        lift(call);
        if (op.outcome.known) knownLeft--;
        return true;
      }
      linearized.remove(call.op);
    }
    return false;
  };

  const noteStuck = (ret: Entry): void => {
    if (ret.rank <= bestRank) return;
    bestRank = ret.rank;
    const unplaced: Operation<Input, Output>[] = [];
    // The calls still in the list ahead of `ret`; `stuck`'s own call is among them.
    for (let e = head.next; e !== ret; e = e!.next) if (e!.isCall) unplaced.push(ops[e!.op]!);
    best = { stuck: ops[ret.op]!, prefix: placedOps(ops, stack), unplaced, state };
  };

  let entry = head.next;
  let steps = 0;
  while (knownLeft > 0) {
    if (++steps % clockCheckSteps === 0 && limits.clock() >= limits.deadline) {
      return { kind: 'timeout', configurations: cache.size };
    }
    assert(entry !== null, 'the search ran off the end of the history');
    if (entry.isCall) {
      const op = ops[entry.op]!;
      entry = tryPlace(entry, model.step(state, op.input, op.outcome), 0) ? head.next : entry.next;
      continue;
    }
    // Every return before an unknown operation's +Infinity is a known one.
    assert(ops[entry.op]!.outcome.known, 'the search stopped at an operation that never returns');
    noteStuck(entry);
    const top = stack.pop();
    if (top === undefined) {
      assert(best !== null);
      return { kind: 'violation', ...(best as Stuck<Input, Output, State>) };
    }
    unlift(top.call);
    linearized.remove(top.call.op);
    state = top.stateBefore;
    if (ops[top.call.op]!.outcome.known) knownLeft++;
    entry = tryPlace(top.call, top.nexts, top.k + 1) ? head.next : top.call.next;
  }
  return { kind: 'linearizable', order: placedOps(ops, stack) };
}

function placedOps<State, Input, Output>(
  ops: readonly Operation<Input, Output>[],
  stack: readonly Frame<State>[],
): Placed<Input, Output, State>[] {
  return stack.map((f) => ({ op: ops[f.call.op]!, stateAfter: f.nexts[f.k]! }));
}

/**
 * The history as a linked list behind a head sentinel. At equal times calls come before returns:
 * operations whose intervals touch are taken as concurrent, the lenient reading.
 */
function buildList<Input, Output>(ops: readonly Operation<Input, Output>[]): Entry {
  const raw: { op: number; isCall: boolean; time: number }[] = [];
  ops.forEach((op, i) => {
    assert(op.call < op.ret, `operation ${op.id} returns (${op.ret}) before it is called (${op.call})`);
    raw.push({ op: i, isCall: true, time: op.call }, { op: i, isCall: false, time: op.ret });
  });
  raw.sort((a, b) => {
    if (a.time !== b.time) return a.time < b.time ? -1 : 1;
    if (a.isCall !== b.isCall) return a.isCall ? -1 : 1;
    return a.op - b.op;
  });
  const head: Entry = { op: -1, isCall: false, rank: -1, match: null, prev: null, next: null };
  const calls: Entry[] = [];
  let last = head;
  raw.forEach((r, rank) => {
    const e: Entry = { op: r.op, isCall: r.isCall, rank, match: null, prev: last, next: null };
    last.next = e;
    last = e;
    if (r.isCall) calls[r.op] = e;
    else calls[r.op]!.match = e;
  });
  return head;
}

/** Takes an operation's call and return out of the list. */
function lift(call: Entry): void {
  call.prev!.next = call.next;
  call.next!.prev = call.prev;
  const ret = call.match!;
  ret.prev!.next = ret.next;
  if (ret.next !== null) ret.next.prev = ret.prev;
}

/** Puts back what `lift` took out; must undo lifts in reverse order. */
function unlift(call: Entry): void {
  const ret = call.match!;
  ret.prev!.next = ret;
  if (ret.next !== null) ret.next.prev = ret;
  call.prev!.next = call;
  call.next!.prev = call;
}
