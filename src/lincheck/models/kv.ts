// A map from string keys to string values with get, put and append, every key starting as "".
//
//   key "0": "" → append "x 0 0 y" → "x 0 0 y" → put "z" → "z" → get → "z"
//
// Operations on different keys never affect one another, so the history is checked one key at a
// time (P-compositionality). NB: the state is therefore the value of a single key, not the whole
// map; `step` relies on `partition` having grouped the operations by key.

import { Fnv32 } from '../hash32.js';
import { printEdn, type EdnValue } from '../formats/edn.js';
import { HistoryParseError } from '../errors.js';
import type { EventCodec, HistoryEvent } from '../history.js';
import type { Model, Operation, Partition } from '../model.js';

export type KvInput =
  | { readonly f: 'get'; readonly key: string }
  | { readonly f: 'put'; readonly key: string; readonly value: string }
  | { readonly f: 'append'; readonly key: string; readonly value: string };

/** What a get returned; put and append return nothing. */
export type KvOutput = string | undefined;

export const kv: Model<string, KvInput, KvOutput> = {
  name: 'kv',
  init: () => '',
  step(state, input, outcome) {
    switch (input.f) {
      case 'get':
        return !outcome.known || outcome.value === state ? [state] : [];
      case 'put':
        return [input.value];
      case 'append':
        return [state + input.value];
    }
  },
  equal: (a, b) => a === b,
  hash: (s) => new Fnv32().str(s).value(),
  isReadOnly: (input) => input.f === 'get',
  partition(ops) {
    const byKey = new Map<string, Operation<KvInput, KvOutput>[]>();
    for (const op of ops) {
      let part = byKey.get(op.input.key);
      if (part === undefined) byKey.set(op.input.key, (part = []));
      part.push(op);
    }
    return [...byKey].map(([key, ops]): Partition<KvInput, KvOutput> => ({ name: `key ${JSON.stringify(key)}`, ops }));
  },
  describeOperation(input, outcome) {
    const unknown = outcome.known ? '' : ' → ?';
    switch (input.f) {
      case 'get':
        return `get ${JSON.stringify(input.key)} → ${outcome.known ? JSON.stringify(outcome.value) : '?'}`;
      case 'put':
        return `put ${JSON.stringify(input.key)} ${JSON.stringify(input.value)}${unknown}`;
      case 'append':
        return `append ${JSON.stringify(input.key)} ${JSON.stringify(input.value)}${unknown}`;
    }
  },
  describeState: (s) => JSON.stringify(s),
};

/** Decodes `{:f :get|:put|:append, :key "k", :value "v"}` events. */
export const kvCodec: EventCodec<KvInput, KvOutput> = {
  input(e) {
    const key = str(e, 'key', e.key ?? null);
    switch (e.f) {
      case 'get':
        return { f: 'get', key };
      case 'put':
      case 'append':
        return { f: e.f, key, value: str(e, 'value', e.value) };
      default:
        throw new HistoryParseError(e.line, `the kv model has no :${e.f} (expected :get, :put or :append)`);
    }
  },
  output(input, e) {
    if (input.f !== 'get') return undefined;
    // NB: a key that was never written reads as "" in these histories; accept nil for it too.
    return e.value === null ? '' : str(e, 'value', e.value);
  },
};

function str(e: HistoryEvent, field: string, v: EdnValue): string {
  if (typeof v === 'string') return v;
  throw new HistoryParseError(e.line, `:${field} must be a string, got ${printEdn(v)}`);
}
