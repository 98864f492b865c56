// The models that histories can be checked against by name, each with the file format its
// histories come in. Adding a model (e.g. etcd with revisions and txn) means one entry here.

import { checkOperations, type CheckOptions, type Verdict } from './check.js';
import { describeResult } from './explain.js';
import { parseEdnHistory } from './formats/edn-history.js';
import { parseJepsenLog } from './formats/jepsen-log.js';
import { operationsFromEvents, type EventCodec, type HistoryEvent } from './history.js';
import type { Model } from './model.js';
import { casRegister, casRegisterCodec } from './models/cas-register.js';
import { kv, kvCodec } from './models/kv.js';
import { etcd, etcdCodec, parseJsonHistory } from './models/etcd.js';

export interface HistoryChecker {
  readonly model: string;
  /** One line for `--help`. */
  readonly summary: string;
  /** Parses a history file and checks it. Throws HistoryParseError naming the line. */
  check(text: string, options?: CheckOptions): { verdict: Verdict; report: string };
}

function checkerFor<State, Input, Output>(
  model: Model<State, Input, Output>,
  codec: EventCodec<Input, Output>,
  parse: (text: string) => HistoryEvent[],
  summary: string,
): HistoryChecker {
  return {
    model: model.name,
    summary,
    check(text, options) {
      const ops = operationsFromEvents(parse(text), codec);
      const result = checkOperations(model, ops, options);
      return { verdict: result.verdict, report: describeResult(model, result) };
    },
  };
}

export const historyCheckers: ReadonlyMap<string, HistoryChecker> = new Map(
  [
    checkerFor(casRegister, casRegisterCodec, parseJepsenLog, 'one register: read, write v, cas [from to]; Jepsen log lines'),
    checkerFor(kv, kvCodec, parseEdnHistory, 'string map: get, put, append, checked per key; EDN lines'),
    checkerFor(etcd, etcdCodec, parseJsonHistory, 'etcd keys: get, put, delete, cas (txn), checked per key; JSON lines'),
  ].map((c) => [c.model, c]),
);
