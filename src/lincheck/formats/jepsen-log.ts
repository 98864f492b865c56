// Jepsen's `jepsen.log` format: one line per event, logged by `jepsen.util`.
//
//   INFO  jepsen.util - 3	:invoke	:write	3
//   INFO  jepsen.util - 3	:ok	:write	3
//   INFO  jepsen.util - 2	:invoke	:cas	[3 0]
//   INFO  jepsen.util - 2	:fail	:cas	[3 0]
//   INFO  jepsen.util - 1	:info	:cas	:timed-out
//
// Fields are separated by tabs or, in some logs, runs of spaces; the value is the rest of the line
// (it may contain spaces: `[3 0]`). Blank lines and lines from other loggers are skipped; nemesis
// events are not client operations and are skipped too.

import { EdnSyntaxError, readEdn } from './edn.js';
import { HistoryParseError } from '../errors.js';
import type { EventType, HistoryEvent } from '../history.js';

const loggerLine = /^(?:TRACE|DEBUG|INFO|WARN|ERROR|FATAL)\s+(\S+)\s+-\s+(.*)$/;
const utilLine = /^(\S+)\s+:(\w+)\s+:(\S+)(?:\s+(.*))?$/;
const eventTypes: ReadonlySet<string> = new Set<EventType>(['invoke', 'ok', 'fail', 'info']);

export function parseJepsenLog(text: string): HistoryEvent[] {
  const events: HistoryEvent[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const line = lines[i]!.trimEnd();
    if (line.trim() === '') continue;
    const logged = loggerLine.exec(line);
    if (logged === null) {
      throw new HistoryParseError(lineNo, `expected a log line like 'INFO  jepsen.util - 3\t:invoke\t:read\tnil', got '${clip(line)}'`);
    }
    if (logged[1] !== 'jepsen.util') continue;
    const m = utilLine.exec(logged[2]!);
    if (m === null) {
      throw new HistoryParseError(lineNo, `expected 'PROCESS :TYPE :F VALUE' after 'jepsen.util - ', got '${clip(logged[2]!)}'`);
    }
    const [, proc, type, f, valueText] = m as unknown as [string, string, string, string, string | undefined];
    if (proc === ':nemesis') continue;
    if (!/^\d+$/.test(proc)) throw new HistoryParseError(lineNo, `expected a process number, got '${clip(proc)}'`);
    if (!eventTypes.has(type)) {
      throw new HistoryParseError(lineNo, `unknown event type ':${type}' (expected :invoke, :ok, :fail or :info)`);
    }
    let value;
    try {
      value = valueText === undefined ? null : readEdn(valueText);
    } catch (err) {
      if (err instanceof EdnSyntaxError) throw new HistoryParseError(lineNo, `bad value '${clip(valueText!)}': ${err.message}`);
      throw err;
    }
    events.push({ process: Number(proc), type: type as EventType, f, value, line: lineNo });
  }
  return events;
}

function clip(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
