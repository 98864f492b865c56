// A single register with read, write and compare-and-set, as in Jepsen's etcd test.
//
//   state nil → write 3 → 3 → cas [3 0] ok → 0 → read → 0 → cas [2 4] (unknown) → 0
//
// A cas whose outcome is known is always a success: a failed cas (`:fail`) did not take effect
// and is left out of the history before it reaches the model.

import { Fnv32 } from '../hash32.js';
import { printEdn, type EdnValue } from '../formats/edn.js';
import { HistoryParseError } from '../errors.js';
import type { EventCodec, HistoryEvent } from '../history.js';
import type { Model, Outcome } from '../model.js';

/** nil is the value before the first write. */
export type RegisterValue = number | string | null;

export type RegisterInput =
  | { readonly f: 'read' }
  | { readonly f: 'write'; readonly value: RegisterValue }
  | { readonly f: 'cas'; readonly from: RegisterValue; readonly to: RegisterValue };

/** What a read returned; writes and successful cas return nothing. */
export type RegisterOutput = RegisterValue | undefined;

export const casRegister: Model<RegisterValue, RegisterInput, RegisterOutput> = {
  name: 'cas-register',
  init: () => null,
  step(state, input, outcome) {
    switch (input.f) {
      case 'read':
        return !outcome.known || outcome.value === state ? [state] : [];
      case 'write':
        return [input.value];
      case 'cas':
        if (input.from === state) return [input.to];
        // The compare fails: only possible if we do not know that the cas succeeded.
        return outcome.known ? [] : [state];
    }
  },
  equal: (a, b) => a === b,
  hash: (s) => new Fnv32().str(typeof s).str(String(s)).value(),
  isReadOnly: (input) => input.f === 'read',
  describeOperation(input, outcome) {
    switch (input.f) {
      case 'read':
        return `read → ${describeOutcome(outcome)}`;
      case 'write':
        return `write ${show(input.value)}${outcome.known ? '' : ' → ?'}`;
      case 'cas':
        return `cas [${show(input.from)} ${show(input.to)}]${outcome.known ? '' : ' → ?'}`;
    }
  },
  describeState: show,
};

function describeOutcome(outcome: Outcome<RegisterOutput>): string {
  return outcome.known ? show(outcome.value ?? null) : '?';
}

function show(v: RegisterValue): string {
  return printEdn(v);
}

/** Decodes Jepsen register events: `:read nil` → 3, `:write 3`, `:cas [3 0]`. */
export const casRegisterCodec: EventCodec<RegisterInput, RegisterOutput> = {
  input(e) {
    switch (e.f) {
      case 'read':
        return { f: 'read' };
      case 'write':
        return { f: 'write', value: registerValue(e, e.value) };
      case 'cas': {
        const v = e.value;
        if (!Array.isArray(v) || v.length !== 2) {
          throw new HistoryParseError(e.line, `:cas takes [from to], got ${printEdn(v)}`);
        }
        return { f: 'cas', from: registerValue(e, v[0]!), to: registerValue(e, v[1]!) };
      }
      default:
        throw new HistoryParseError(e.line, `the cas-register model has no :${e.f} (expected :read, :write or :cas)`);
    }
  },
  output(input, e) {
    return input.f === 'read' ? registerValue(e, e.value) : undefined;
  },
};

function registerValue(e: HistoryEvent, v: EdnValue): RegisterValue {
  if (v === null || typeof v === 'number' || typeof v === 'string') return v;
  throw new HistoryParseError(e.line, `a register holds nil, a number or a string, got ${printEdn(v)}`);
}
