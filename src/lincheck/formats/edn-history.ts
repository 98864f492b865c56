// Jepsen's EDN history format: one operation map per line.
//
//   {:process 0, :type :invoke, :f :append, :key "0", :value "x 0 0 y"}
//   {:process 0, :type :ok, :f :append, :key "0", :value "x 0 0 y"}
//
// `:key` is optional. Blank lines and `;` comments are skipped; nemesis events are skipped.

import { EdnSyntaxError, Keyword, keyword, printEdn, readEdn, type EdnMap, type EdnValue } from './edn.js';
import { HistoryParseError } from '../errors.js';
import type { EventType, HistoryEvent } from '../history.js';

const K = {
  process: keyword('process'),
  type: keyword('type'),
  f: keyword('f'),
  key: keyword('key'),
  value: keyword('value'),
  nemesis: keyword('nemesis'),
};
const eventTypes: ReadonlySet<string> = new Set<EventType>(['invoke', 'ok', 'fail', 'info']);

export function parseEdnHistory(text: string): HistoryEvent[] {
  const events: HistoryEvent[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith(';')) continue;
    let v: EdnValue;
    try {
      v = readEdn(line);
    } catch (err) {
      if (err instanceof EdnSyntaxError) throw new HistoryParseError(lineNo, `${err.message} (column ${err.column + 1})`);
      throw err;
    }
    if (!(v instanceof Map)) throw new HistoryParseError(lineNo, `expected an operation map like {:process 0, :type :invoke, ...}`);
    const proc = v.get(K.process);
    if (proc === K.nemesis) continue;
    if (typeof proc !== 'number' || !Number.isSafeInteger(proc)) {
      throw new HistoryParseError(lineNo, `:process must be an integer, got ${describe(v, K.process)}`);
    }
    const type = v.get(K.type);
    if (!(type instanceof Keyword) || !eventTypes.has(type.name)) {
      throw new HistoryParseError(lineNo, `:type must be :invoke, :ok, :fail or :info, got ${describe(v, K.type)}`);
    }
    const f = v.get(K.f);
    if (!(f instanceof Keyword)) throw new HistoryParseError(lineNo, `:f must be a keyword, got ${describe(v, K.f)}`);
    const event: HistoryEvent = { process: proc, type: type.name as EventType, f: f.name, value: v.get(K.value) ?? null, line: lineNo };
    events.push(v.has(K.key) ? { ...event, key: v.get(K.key)! } : event);
  }
  return events;
}

function describe(m: EdnMap, k: Keyword): string {
  return m.has(k) ? printEdn(m.get(k)!) : 'nothing';
}
