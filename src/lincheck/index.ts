// Linearizability checking: a Wing & Gong / Lowe search with per-key partitioning and a time
// bound, plus the models and history formats it knows.

export type { Model, Operation, Outcome, Partition } from './model.js';
export { knownOutcome, unknownOutcome } from './model.js';
export type { CheckOptions, CheckResult, Verdict } from './check.js';
export { checkOperations, defaultTimeoutMs } from './check.js';
export type { Placed, Stuck } from './search.js';
export { describeResult } from './explain.js';
export type { EventCodec, EventType, HistoryEvent } from './history.js';
export { operationsFromEvents } from './history.js';
export { HistoryParseError } from './errors.js';
export { parseJepsenLog } from './formats/jepsen-log.js';
export { parseEdnHistory } from './formats/edn-history.js';
export { Keyword, keyword, printEdn, readEdn, type EdnValue } from './formats/edn.js';
export { casRegister, casRegisterCodec, type RegisterInput, type RegisterOutput, type RegisterValue } from './models/cas-register.js';
export { kv, kvCodec, type KvInput, type KvOutput } from './models/kv.js';
export { historyCheckers, type HistoryChecker } from './catalog.js';
