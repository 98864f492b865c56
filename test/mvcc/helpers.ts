// Request builders and a store in a temporary engine, for MVCC tests.

import type { TestContext } from 'node:test';
import { MvccStore, type MvccStoreOptions } from '../../src/mvcc/index.js';
import type {
  Compare,
  DeleteRangeRequest,
  KeyValue,
  PutRequest,
  RangeRequest,
  RequestOp,
  TxnRequest,
} from '../../src/mvcc/types.js';
import type { Engine } from '../../src/storage/index.js';
import { tempEngine } from '../storage/tmp.js';

export const b = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));
export const s = (u: Uint8Array): string => Buffer.from(u).toString('latin1');

export function newStore(t: TestContext, opts: MvccStoreOptions = {}): { kv: MvccStore; engine: Engine; dir: string } {
  const { engine, dir } = tempEngine(t);
  return { kv: new MvccStore(engine, opts), engine, dir };
}

export function rangeReq(key: string | Uint8Array, o: Partial<Omit<RangeRequest, 'key'>> & { end?: string | Uint8Array } = {}): RangeRequest {
  const { end, ...rest } = o;
  return {
    key: typeof key === 'string' ? b(key) : key,
    rangeEnd: end === undefined ? new Uint8Array(0) : typeof end === 'string' ? b(end) : end,
    limit: 0,
    revision: 0,
    sortOrder: 'NONE',
    sortTarget: 'KEY',
    serializable: false,
    keysOnly: false,
    countOnly: false,
    minModRevision: 0,
    maxModRevision: 0,
    minCreateRevision: 0,
    maxCreateRevision: 0,
    ...rest,
  };
}

export function putReq(key: string | Uint8Array, value: string | Uint8Array, o: Partial<PutRequest> = {}): PutRequest {
  return {
    key: typeof key === 'string' ? b(key) : key,
    value: typeof value === 'string' ? b(value) : value,
    lease: 0n,
    prevKv: false,
    ignoreValue: false,
    ignoreLease: false,
    ...o,
  };
}

export function delReq(key: string, end = '', prevKv = false): DeleteRangeRequest {
  return { key: b(key), rangeEnd: b(end), prevKv };
}

export function cmp(key: string, target: Compare['target'], result: Compare['result'], operand: number | string | bigint, end = ''): Compare {
  const c: Compare = { key: b(key), rangeEnd: b(end), target, result };
  switch (target) {
    case 'VERSION':
      c.version = operand as number;
      break;
    case 'CREATE':
      c.createRevision = operand as number;
      break;
    case 'MOD':
      c.modRevision = operand as number;
      break;
    case 'VALUE':
      c.value = b(operand as string);
      break;
    case 'LEASE':
      c.lease = operand as bigint;
      break;
  }
  return c;
}

export const opPut = (k: string, v: string, o: Partial<PutRequest> = {}): RequestOp => ({ requestPut: putReq(k, v, o) });
export const opDel = (k: string, end = '', prevKv = false): RequestOp => ({ requestDeleteRange: delReq(k, end, prevKv) });
export const opRange = (k: string, o: Parameters<typeof rangeReq>[1] = {}): RequestOp => ({ requestRange: rangeReq(k, o) });
export const opTxn = (t: TxnRequest): RequestOp => ({ requestTxn: t });
export const txnReq = (compare: Compare[], success: RequestOp[], failure: RequestOp[] = []): TxnRequest => ({ compare, success, failure });

/** A compact view of a key-value: "key=value c/m/v" (plus "@lease" if any). */
export function kvStr(kv: KeyValue): string {
  return `${s(kv.key)}=${s(kv.value)} ${kv.createRevision}/${kv.modRevision}/${kv.version}${kv.lease !== 0n ? `@${kv.lease}` : ''}`;
}

export const keysOf = (kvs: KeyValue[]): string[] => kvs.map((kv) => s(kv.key));
