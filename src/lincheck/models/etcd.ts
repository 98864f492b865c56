// etcd's key-value API as clients use it in tests: put, get, delete, and a compare-and-set txn
// (`if value(k) == a then put k b`) that answers whether it succeeded. Keys start absent (nil).
//
//   key "x": nil → put "1" → "1" → cas "1"→"2" → true → "2" → cas "1"→"3" → false → "2"
//            → get → "2" → delete → nil → cas "2"→"4" → false (a value compare on an absent key
//              always fails in etcd) → nil
//
// A cas that returned false is not dropped: it saw a value other than `from`, which is as much a
// read as a get. Operations on different keys never affect one another, so the history is
// checked one key at a time; the state is the value of a single key (see `partition`).
//
// History format: JSON lines, one event per line, in the order they happened (a recorder appends
// an invoke before sending a request and its completion when the answer arrives).
//
//   {"process":0,"type":"invoke","f":"put","key":"x","value":"1"}
//   {"process":0,"type":"ok","f":"put","key":"x","value":"1"}
//   {"process":1,"type":"invoke","f":"get","key":"x","value":null}
//   {"process":1,"type":"ok","f":"get","key":"x","value":"1"}          (null: the key is absent)
//   {"process":2,"type":"invoke","f":"cas","key":"x","value":{"from":"1","to":"2"}}
//   {"process":2,"type":"ok","f":"cas","key":"x","value":{"from":"1","to":"2","succeeded":true}}
//   {"process":3,"type":"invoke","f":"delete","key":"x"}
//   {"process":3,"type":"info","f":"delete","key":"x"}                 (timed out: may or may not have happened)
//
// `type` is invoke, ok, fail (did not happen) or info (unknown). Other fields (e.g. `time`) are
// ignored. Blank lines are skipped.

import { Fnv32 } from '../hash32.js';
import { printEdn, type EdnValue } from '../formats/edn.js';
import { HistoryParseError } from '../errors.js';
import type { EventCodec, EventType, HistoryEvent } from '../history.js';
import type { Model, Operation, Outcome, Partition } from '../model.js';

/** The value of one key; null while it is absent. */
export type EtcdValue = string | null;

export type EtcdInput =
  | { readonly f: 'get'; readonly key: string }
  | { readonly f: 'put'; readonly key: string; readonly value: string }
  | { readonly f: 'delete'; readonly key: string }
  | { readonly f: 'cas'; readonly key: string; readonly from: string; readonly to: string };

/** What a get returned (null: absent), whether a cas succeeded; put and delete return nothing. */
export type EtcdOutput = EtcdValue | boolean | undefined;

/** One line of a history file, as recorders write it. */
export interface EtcdHistoryEvent {
  readonly process: number;
  readonly type: EventType;
  readonly f: EtcdInput['f'];
  readonly key: string;
  readonly value?: string | null | { readonly from: string; readonly to: string; readonly succeeded?: boolean };
  /** When the event happened (ms); for people reading the file, the checker uses line order. */
  readonly time?: number;
}

export const etcd: Model<EtcdValue, EtcdInput, EtcdOutput> = {
  name: 'etcd',
  init: () => null,
  step(state, input, outcome) {
    switch (input.f) {
      case 'get':
        return !outcome.known || outcome.value === state ? [state] : [];
      case 'put':
        return [input.value];
      case 'delete':
        return [null];
      case 'cas': {
        const holds = state === input.from;
        if (!outcome.known) return holds ? [input.to] : [state];
        if (outcome.value === true) return holds ? [input.to] : [];
        return holds ? [] : [state];
      }
    }
  },
  equal: (a, b) => a === b,
  hash: (s) => (s === null ? new Fnv32().u32(0).value() : new Fnv32().u32(1).str(s).value()),
  isReadOnly: (input) => input.f === 'get',
  partition(ops) {
    const byKey = new Map<string, Operation<EtcdInput, EtcdOutput>[]>();
    for (const op of ops) {
      let part = byKey.get(op.input.key);
      if (part === undefined) byKey.set(op.input.key, (part = []));
      part.push(op);
    }
    return [...byKey].map(([key, ops]): Partition<EtcdInput, EtcdOutput> => ({ name: `key ${JSON.stringify(key)}`, ops }));
  },
  describeOperation(input, outcome) {
    const key = JSON.stringify(input.key);
    const unknown = outcome.known ? '' : ' → ?';
    switch (input.f) {
      case 'get':
        return `get ${key} → ${describeOutcome(outcome)}`;
      case 'put':
        return `put ${key} ${JSON.stringify(input.value)}${unknown}`;
      case 'delete':
        return `delete ${key}${unknown}`;
      case 'cas':
        return `cas ${key} ${JSON.stringify(input.from)}→${JSON.stringify(input.to)} → ${describeOutcome(outcome)}`;
    }
  },
  describeState: show,
};

function describeOutcome(outcome: Outcome<EtcdOutput>): string {
  if (!outcome.known) return '?';
  const v = outcome.value;
  return typeof v === 'boolean' ? String(v) : show(v ?? null);
}

function show(v: EtcdValue): string {
  return v === null ? 'nil' : JSON.stringify(v);
}

/** Decodes the events of `parseJsonHistory` for the etcd model. */
export const etcdCodec: EventCodec<EtcdInput, EtcdOutput> = {
  input(e) {
    const key = e.key;
    if (typeof key !== 'string') throw new HistoryParseError(e.line, `"key" must be a string, got ${printEdn(key ?? null)}`);
    switch (e.f) {
      case 'get':
        return { f: 'get', key };
      case 'delete':
        return { f: 'delete', key };
      case 'put':
        if (typeof e.value !== 'string') throw new HistoryParseError(e.line, `put takes a string "value", got ${printEdn(e.value)}`);
        return { f: 'put', key, value: e.value };
      case 'cas': {
        const from = field(e, 'from');
        const to = field(e, 'to');
        if (typeof from !== 'string' || typeof to !== 'string') {
          throw new HistoryParseError(e.line, `cas takes "value": {"from": string, "to": string}, got ${printEdn(e.value)}`);
        }
        return { f: 'cas', key, from, to };
      }
      default:
        throw new HistoryParseError(e.line, `the etcd model has no "${e.f}" (expected get, put, delete or cas)`);
    }
  },
  output(input, e) {
    switch (input.f) {
      case 'get':
        if (e.value !== null && typeof e.value !== 'string') throw new HistoryParseError(e.line, `a get returns a string or null, got ${printEdn(e.value)}`);
        return e.value;
      case 'cas': {
        const succeeded = field(e, 'succeeded');
        if (typeof succeeded !== 'boolean') throw new HistoryParseError(e.line, `a completed cas says "value": {..., "succeeded": true|false}, got ${printEdn(e.value)}`);
        return succeeded;
      }
      case 'put':
      case 'delete':
        return undefined;
    }
  },
};

function field(e: HistoryEvent, name: string): EdnValue | undefined {
  return e.value instanceof Map ? e.value.get(name) : undefined;
}

const eventTypes: ReadonlySet<string> = new Set<EventType>(['invoke', 'ok', 'fail', 'info']);

/** Parses a JSON-lines history (format above) into events; objects become Maps with string keys. */
export function parseJsonHistory(text: string): HistoryEvent[] {
  const events: HistoryEvent[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const line = lines[i]!.trim();
    if (line === '') continue;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (err) {
      throw new HistoryParseError(lineNo, `not JSON: ${(err as Error).message}`);
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new HistoryParseError(lineNo, 'expected an event like {"process":0,"type":"invoke",...}');
    const o = v as Record<string, unknown>;
    if (!(typeof o.process === 'number' && Number.isSafeInteger(o.process)) && typeof o.process !== 'string') {
      throw new HistoryParseError(lineNo, `"process" must be an integer or a string, got ${JSON.stringify(o.process)}`);
    }
    if (typeof o.type !== 'string' || !eventTypes.has(o.type)) {
      throw new HistoryParseError(lineNo, `"type" must be "invoke", "ok", "fail" or "info", got ${JSON.stringify(o.type)}`);
    }
    if (typeof o.f !== 'string') throw new HistoryParseError(lineNo, `"f" must be a string, got ${JSON.stringify(o.f)}`);
    const event: HistoryEvent = { process: o.process, type: o.type as EventType, f: o.f, value: toEdn(o.value ?? null), line: lineNo };
    events.push('key' in o ? { ...event, key: toEdn(o.key) } : event);
  }
  return events;
}

function toEdn(v: unknown): EdnValue {
  if (v === null || typeof v === 'boolean' || typeof v === 'number' || typeof v === 'string') return v;
  if (Array.isArray(v)) return v.map(toEdn);
  if (typeof v === 'object') return new Map(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, toEdn(x)]));
  return null;
}
