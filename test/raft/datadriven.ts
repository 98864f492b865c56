// Data-driven test scripts in the style of etcd's `testdata/*.txt` (cockroachdb/datadriven):
// each case is a command line, a `----` line, then the expected output, ended by a blank line.
//
//   campaign 1
//   ----
//   1->2 vote term=2 last=1/1
//   ...
//
// Run with REWRITE=1 to regenerate every expected output from what the code does now, then
// review the change as a diff. Without it, a difference fails the case, naming the file line.

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';

export interface Case {
  /** 1-based line of the command in the file. */
  line: number;
  command: string;
  expected: string;
}

export function parseScript(text: string): Case[] {
  const lines = text.split('\n');
  const cases: Case[] = [];
  let i = 0;
  while (i < lines.length) {
    const l = lines[i]!;
    if (l.trim() === '' || l.startsWith('#')) {
      i++;
      continue;
    }
    const line = i + 1;
    assert.equal(lines[i + 1], '----', `line ${line + 1}: expected ---- after the command`);
    i += 2;
    const out: string[] = [];
    while (i < lines.length && lines[i] !== '') out.push(lines[i++]!);
    cases.push({ line, command: l, expected: out.join('\n') });
  }
  return cases;
}

function render(cases: Array<Case & { actual: string }>, comments: Map<number, string[]>): string {
  const parts: string[] = [];
  for (const c of cases) {
    const pre = comments.get(c.line) ?? [];
    parts.push([...pre, c.command, '----', ...(c.actual === '' ? [] : [c.actual])].join('\n'));
  }
  return parts.join('\n\n') + '\n';
}

/** Comment lines (`# ...`) directly above each command, kept when rewriting. */
function commentsAbove(text: string): Map<number, string[]> {
  const lines = text.split('\n');
  const out = new Map<number, string[]>();
  let pending: string[] = [];
  let inOutput = false;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (inOutput) {
      if (l === '') inOutput = false;
      continue;
    }
    if (l.startsWith('#')) pending.push(l);
    else if (l.trim() !== '') {
      out.set(i + 1, pending);
      pending = [];
      inOutput = true;
      i++; // the ---- line
    }
  }
  return out;
}

/**
 * Runs every case of the file through `run` (which returns the output of one command) and
 * compares, or rewrites the file when REWRITE=1.
 */
export function runScript(path: string, run: (command: string) => string): void {
  const text = readFileSync(path, 'utf8');
  const cases = parseScript(text).map((c) => ({ ...c, actual: run(c.command).trimEnd() }));
  if (process.env['REWRITE'] === '1') {
    writeFileSync(path, render(cases, commentsAbove(text)));
    return;
  }
  for (const c of cases) {
    assert.equal(c.actual, c.expected, `${path}:${c.line}: ${c.command}`);
  }
}
