// Shared by the lincheck tests: where the repo and its data are, and tiny-history builders.

import { fileURLToPath } from 'node:url';
import {
  casRegister,
  casRegisterCodec,
  checkOperations,
  describeResult,
  kv,
  kvCodec,
  operationsFromEvents,
  parseEdnHistory,
  parseJepsenLog,
  type CheckOptions,
} from '../../src/lincheck/index.js';

/** The repo root; compiled tests run from dist/test/lincheck/, the data stays in test/data/. */
export const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
export const dataDir = fileURLToPath(new URL('../../../test/data/linearizability/', import.meta.url));

/** A Jepsen log from short lines: `jepsenLog('0 :invoke :write 1', '0 :ok :write 1')`. */
export function jepsenLog(...lines: string[]): string {
  return lines.map((l) => `INFO  jepsen.util - ${l}`).join('\n') + '\n';
}

/** Checks a Jepsen log against the cas register; returns the verdict and the printed report. */
export function checkRegister(text: string, options?: CheckOptions) {
  const ops = operationsFromEvents(parseJepsenLog(text), casRegisterCodec);
  const result = checkOperations(casRegister, ops, options);
  return { result, report: describeResult(casRegister, result) };
}

/** A kv history from `[process, type, f, key, value]` rows. */
export function kvHistory(...rows: [number, string, string, string, string | null][]): string {
  return (
    rows
      .map(([p, type, f, key, value]) => `{:process ${p}, :type :${type}, :f :${f}, :key "${key}", :value ${value === null ? 'nil' : JSON.stringify(value)}}`)
      .join('\n') + '\n'
  );
}

export function checkKv(text: string, options?: CheckOptions) {
  const ops = operationsFromEvents(parseEdnHistory(text), kvCodec);
  const result = checkOperations(kv, ops, options);
  return { result, report: describeResult(kv, result) };
}
